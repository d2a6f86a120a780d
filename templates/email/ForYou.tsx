/**
 * The "For you" block: rendered once per edition and choice of papers (src/render/forYou.ts)
 * and spliced at the top of each email that carries it. Its rows are ordinary <mj-text> rows
 * of the digest's column, so it looks and behaves like the cards below it.
 */
import { MjText, color, muted, size } from './Layout.tsx';
import { MjRaw } from './mjml.ts';
import { PLACEHOLDER } from '../../src/mail/placeholders.ts';
import type { DigestPaper } from './view.ts';
import type { FeedbackLinks } from '../../src/personal/links.ts';

export type ForYouPaper = DigestPaper & { feedback: FeedbackLinks };

const heading = { margin: '8px 0 4px', paddingBottom: '6px', borderBottom: `2px solid ${color.rule}`, fontSize: size.h2, lineHeight: '28px', fontWeight: 700 } as const;
/** A link in running text, still a 44 px tap target. */
const feedbackLink = { display: 'inline-block', padding: '12px 0', color: color.accent } as const;
const title = { display: 'block', padding: '9px 0', color: color.accent, fontSize: size.title, lineHeight: '26px', fontWeight: 600, textDecoration: 'none' } as const;

/** The heading and the line that says where the picks come from and where to change them. */
export function ForYouHeader({ preferencesUrl }: { preferencesUrl: string }) {
  return (
    <>
      <MjText padding="8px 0 8px">
        <h2 className="pb-h" style={heading}>
          For you
        </h2>
      </MjText>
      <MjText css-class="pb-m" padding="0 0 8px">
        <p className="pb-m" style={{ ...muted, margin: 0 }}>
          Picked from your &quot;more like this&quot; votes and seed papers.{' '}
          <a href={preferencesUrl} className="pb-a" style={feedbackLink}>
            Change or reset
          </a>
        </p>
      </MjText>
    </>
  );
}

/** Where a reader's block goes: a raw row of the digest's column, kept verbatim by MJML. */
export function ForYouSlot() {
  return <MjRaw dangerouslySetInnerHTML={{ __html: PLACEHOLDER.forYou }} />;
}

/** "More like this · Less like this": two text links (44 px tap targets), light enough for every card of a 90 KB email. */
export function FeedbackLine({ links }: { links: FeedbackLinks }) {
  return (
    <p className="pb-m" style={{ ...muted, margin: 0 }}>
      <a href={links.more} className="pb-a" style={feedbackLink}>
        More like this
      </a>
      {' · '}
      <a href={links.less} className="pb-a" style={feedbackLink}>
        Less like this
      </a>
    </p>
  );
}

export function ForYouCard({ paper }: { paper: ForYouPaper }) {
  const who = [paper.byline, paper.organization].filter(Boolean).join(' · ');
  return (
    <MjText padding="0 0 16px">
      {paper.href ? (
        <a href={paper.href} className="pb-a" style={title}>
          {paper.title}
        </a>
      ) : (
        <p style={{ ...title, color: color.text }}>{paper.title}</p>
      )}
      {who ? (
        <p className="pb-m" style={{ ...muted, margin: '0 0 8px' }}>
          {who}
        </p>
      ) : null}
      {paper.blurb ? <p style={{ margin: '0 0 8px' }}>{paper.blurb}</p> : null}
      <FeedbackLine links={paper.feedback} />
    </MjText>
  );
}
