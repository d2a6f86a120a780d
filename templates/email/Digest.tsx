/**
 * The digest email (daily and weekly): a header, "Top today", the sections, the footer.
 * Phone first: one column, 16 px body text, buttons 44 px tall. Every paper is one <mj-text>,
 * which keeps MJML's per-block markup (and so the byte size) down.
 */
import { Fragment, type CSSProperties } from 'react';
import { Block, Buttons, EmailShell, Footer, MjText, color, link, muted, size } from './Layout.tsx';
import type { DigestPaper, DigestView } from './view.ts';

const title: CSSProperties = { display: 'block', padding: '9px 0', color: color.accent, fontSize: size.title, lineHeight: '26px', fontWeight: 600, textDecoration: 'none' };
const compactTitle: CSSProperties = { ...title, fontSize: size.body, lineHeight: '24px', padding: '10px 0', fontWeight: 500 };
// a chip is its text on a tinted background, padded with no-break spaces (and its hyphens
// unbreakable): no padding or margin that Outlook for Windows would drop, and " · " between
// chips where the tint does not show
const chip: CSSProperties = { borderRadius: '4px', backgroundColor: color.tagBg };
const line: CSSProperties = { margin: '0 0 8px' };
const aiLabel: CSSProperties = { color: color.muted, fontWeight: 600 };
// a 44 px tap target inside a line of text that keeps the line's height (where margins may be negative)
const discussion: CSSProperties = { ...link, display: 'inline-block', padding: '12px 0', margin: '-12px 0' };
// a list item stays with the " ·" after it, so that no line starts with a separator
const SEPARATOR = '\u00a0· ';
const h2: CSSProperties = { margin: '8px 0 4px', paddingBottom: '6px', borderBottom: `2px solid ${color.rule}`, fontSize: size.h2, lineHeight: '28px', fontWeight: 700 };

function Meta({ paper }: { paper: DigestPaper }) {
  const who = [paper.byline, paper.organization].filter(Boolean).join(' · ');
  return who ? (
    <p className="pb-m" style={{ ...muted, ...line }}>
      {who}
    </p>
  ) : null;
}

/** One item of a list on one line: "★ 312 stars" never wraps as "★ 312 / stars". */
const unbroken = (text: string) => text.replace(/ /g, '\u00a0');

/** "trending · published 20 Nov · ▲ 12 upvotes · 7 comments", the comment count linked to the discussion. */
function SignalList({ paper }: { paper: DigestPaper }) {
  const parts = [...(paper.freshness?.split(' · ') ?? []).map((text) => ({ text, href: undefined })), ...paper.signals];
  return (
    <>
      {parts.map((s, i) => (
        <Fragment key={i}>
          {i > 0 ? SEPARATOR : null}
          {s.href ? (
            <a href={s.href} className="pb-a" style={discussion}>
              {unbroken(s.text)}
            </a>
          ) : (
            unbroken(s.text)
          )}
        </Fragment>
      ))}
    </>
  );
}

/** The freshness and signals, then HF's AI keywords as chips, one list separated by " · ". */
function Signals({ paper }: { paper: DigestPaper }) {
  if (!paper.freshness && paper.signals.length === 0 && paper.keywords.length === 0) return null;
  const lead = Boolean(paper.freshness) || paper.signals.length > 0;
  return (
    <p className="pb-m" style={{ ...muted, ...line }}>
      <SignalList paper={paper} />
      {paper.keywords.map((k, i) => (
        <Fragment key={k}>
          {lead || i > 0 ? SEPARATOR : null}
          <span className="pb-g" style={chip}>
            {`\u00a0${unbroken(k).replace(/-/g, '\u2011')}\u00a0`}
          </span>
        </Fragment>
      ))}
    </p>
  );
}

/** The blurb; an AI summary says so, so that it is not taken for the authors' words. */
function Blurb({ paper }: { paper: DigestPaper }) {
  if (!paper.blurb) return null;
  return (
    <p style={{ margin: '0 0 8px' }}>
      {paper.aiSummary ? (
        <>
          <span className="pb-m" style={aiLabel}>
            AI summary:
          </span>{' '}
        </>
      ) : null}
      {paper.blurb}
    </p>
  );
}

/** The title, linked to the paper's page when it has one (a block: a 44 px tap target). */
function PaperTitle({ paper, style }: { paper: DigestPaper; style: CSSProperties }) {
  return paper.href ? (
    <a href={paper.href} className="pb-a" style={style}>
      {paper.title}
    </a>
  ) : (
    <p style={{ ...style, color: color.text }}>{paper.title}</p>
  );
}

function PaperCard({ paper }: { paper: DigestPaper }) {
  return (
    <MjText padding="0 0 16px">
      <PaperTitle paper={paper} style={title} />
      <Meta paper={paper} />
      <Blurb paper={paper} />
      <Signals paper={paper} />
      <Buttons links={paper.links} />
    </MjText>
  );
}

/** Past the full-card budget: the title as a link, and the signals. */
function CompactEntry({ paper }: { paper: DigestPaper }) {
  return (
    <MjText padding="0 0 4px">
      <PaperTitle paper={paper} style={compactTitle} />
      {paper.freshness || paper.signals.length > 0 ? (
        <p className="pb-m" style={{ ...muted, margin: 0 }}>
          <SignalList paper={paper} />
        </p>
      ) : null}
    </MjText>
  );
}

function Papers({ papers }: { papers: DigestPaper[] }) {
  return <>{papers.map((p) => (p.compact ? <CompactEntry key={p.id} paper={p} /> : <PaperCard key={p.id} paper={p} />))}</>;
}

function SectionHeading({ children }: { children: string }) {
  return (
    <MjText padding="8px 0 8px">
      <h2 className="pb-h" style={h2}>
        {children}
      </h2>
    </MjText>
  );
}

export function Digest({ view }: { view: DigestView }) {
  return (
    <EmailShell title={view.subject} preheader={view.preheader}>
      <Block padding="16px 20px 0">
        <MjText css-class="pb-m" padding="0">
          <p className="pb-m" style={{ ...muted, margin: 0 }}>
            {view.listName} ·{' '}
            <a href={view.archiveUrl} className="pb-a" style={{ ...link, display: 'inline-block', padding: '12px 0' }}>
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
        {view.top.length > 0 ? (
          <>
            <SectionHeading>{view.kind === 'weekly' ? 'Top this week' : 'Top today'}</SectionHeading>
            <Papers papers={view.top} />
          </>
        ) : null}
        {view.sections.map((s) => (
          <Fragment key={s.topic}>
            <SectionHeading>{s.title}</SectionHeading>
            <Papers papers={s.papers} />
          </Fragment>
        ))}
        {view.archivedCount > 0 ? (
          <MjText padding="8px 0 0">
            <Buttons links={[{ label: `${view.archivedCount} more ${view.archivedCount === 1 ? 'paper' : 'papers'} in the archive →`, href: view.archiveUrl }]} />
          </MjText>
        ) : null}
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
