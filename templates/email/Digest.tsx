/**
 * The digest email (daily and weekly), one component per part: the header, "Top today", the
 * topic sections, the archive link, the footer. Phone first: one column, 16 px body text,
 * buttons 44 px tall.
 */
import type { CSSProperties } from 'react';
import { Block, Buttons, EmailShell, Footer, MjText, color, muted, size, textLink } from './Layout.tsx';
import { Papers } from './Paper.tsx';
import { MjRaw } from './mjml.ts';
import { PLACEHOLDER, type DigestPaper, type DigestView } from './view.ts';

const h2: CSSProperties = {
  margin: '8px 0 4px',
  paddingBottom: '6px',
  borderBottom: `2px solid ${color.rule}`,
  fontSize: size.h2,
  lineHeight: '28px',
  fontWeight: 700,
};

export function SectionHeading({ children }: { children: string }) {
  return (
    <MjText padding="8px 0 8px">
      <h2 className="pb-h" style={h2}>
        {children}
      </h2>
    </MjText>
  );
}

function DigestHeader({ view }: { view: DigestView }) {
  return (
    <>
      <MjText css-class="pb-m" padding="0">
        <p className="pb-m" style={{ ...muted, margin: 0 }}>
          {view.listName} ·{' '}
          <a href={view.archiveUrl} className="pb-a" style={textLink}>
            View in browser
          </a>
        </p>
      </MjText>
      <MjText padding="0 0 4px">
        <h1 style={{ margin: 0, fontSize: size.h1, lineHeight: '32px', fontWeight: 700 }}>{view.heading}</h1>
      </MjText>
      <MjText css-class="pb-m" padding="0 0 8px">
        <p className="pb-m" style={{ ...muted, fontSize: '15px', margin: 0 }}>
          {view.dateLabel} · {view.paperCount} {view.paperCount === 1 ? 'paper' : 'papers'}
        </p>
      </MjText>
    </>
  );
}

/**
 * The head of a reader's For you block (the block itself is rendered once per choice of papers
 * by src/render/forYou.ts: this, then a PaperCard for each paper): where the picks come from
 * and where to change them.
 */
export function ForYouHeader({ preferencesUrl }: { preferencesUrl: string }) {
  return (
    <>
      <SectionHeading>For you</SectionHeading>
      <MjText css-class="pb-m" padding="0 0 8px">
        <p className="pb-m" style={{ ...muted, margin: 0 }}>
          Picked from your &quot;more like this&quot; votes and seed papers.{' '}
          <a href={preferencesUrl} className="pb-a" style={textLink}>
            Change or reset
          </a>
        </p>
      </MjText>
    </>
  );
}

/**
 * Where a reader's For you block goes: a raw row of the column, kept verbatim by MJML and
 * filled or removed at send time.
 */
function ForYouSlot() {
  return <MjRaw dangerouslySetInnerHTML={{ __html: PLACEHOLDER.forYou }} />;
}

/** A titled list of papers: "Top today", a topic, "More papers". */
export function Section({ title, papers }: { title: string; papers: DigestPaper[] }) {
  if (papers.length === 0) return null;
  return (
    <>
      <SectionHeading>{title}</SectionHeading>
      <Papers papers={papers} />
    </>
  );
}

/** Past the email's budget: how many more papers the archive has. */
function ArchiveLink({ view }: { view: DigestView }) {
  if (view.archivedCount === 0) return null;
  return (
    <MjText padding="8px 0 0">
      <Buttons links={[{ label: `${view.archivedCount} more ${view.archivedCount === 1 ? 'paper' : 'papers'} in the archive →`, href: view.archiveUrl }]} />
    </MjText>
  );
}

export function Digest({ view }: { view: DigestView }) {
  return (
    <EmailShell title={view.subject} preheader={view.preheader}>
      <Block padding="16px 20px 0">
        <DigestHeader view={view} />
        {view.forYouSlot ? <ForYouSlot /> : null}
        <Section title={view.kind === 'weekly' ? 'Top this week' : 'Top today'} papers={view.top} />
        {view.sections.map((s) => (
          <Section key={s.topic} title={s.title} papers={s.papers} />
        ))}
        <ArchiveLink view={view} />
        <Footer
          reason={view.reason}
          listName={view.listName}
          postalAddress={view.postalAddress}
          links={[
            { label: 'Preferences', href: view.preferencesUrl },
            { label: 'Unsubscribe', href: view.unsubscribeUrl },
            { label: 'View in browser', href: view.archiveUrl },
          ]}
        />
      </Block>
    </EmailShell>
  );
}
