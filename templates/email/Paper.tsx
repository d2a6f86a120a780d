/**
 * One paper in the digest: a full card (title, authors, what it found, freshness and signals,
 * AI keywords as chips, link buttons) or, past the full-card budget, one line (title, signals).
 * Every paper is one <mj-text>, which keeps MJML's per-block markup (and so the byte size) down.
 */
import { Fragment, type CSSProperties } from 'react';
import { Buttons, MjText, color, link, muted, size, textLink } from './Layout.tsx';
import type { DigestPaper } from './view.ts';

const title: CSSProperties = {
  display: 'block',
  padding: '9px 0',
  color: color.accent,
  fontSize: size.title,
  lineHeight: '26px',
  fontWeight: 600,
  textDecoration: 'none',
};
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

/**
 * "More like this · Less like this" (an email with For you on): two text links, light enough
 * for every card of a 90 KB email. Above the buttons: a line after them would sit beside
 * their floated tables.
 */
function Feedback({ paper }: { paper: DigestPaper }) {
  if (!paper.feedback) return null;
  return (
    <p className="pb-m" style={{ ...muted, ...line }}>
      <a href={paper.feedback.more} className="pb-a" style={textLink}>
        More like this
      </a>
      {SEPARATOR}
      <a href={paper.feedback.less} className="pb-a" style={textLink}>
        Less like this
      </a>
    </p>
  );
}

/** A full card: in Top today and the topics, and in a reader's For you block. */
export function PaperCard({ paper }: { paper: DigestPaper }) {
  return (
    <MjText padding="0 0 16px">
      <PaperTitle paper={paper} style={title} />
      <Meta paper={paper} />
      <Blurb paper={paper} />
      <Signals paper={paper} />
      <Feedback paper={paper} />
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

/** Papers in their order: full cards, and one-line entries past the full-card budget. */
export function Papers({ papers }: { papers: DigestPaper[] }) {
  return <>{papers.map((p) => (p.compact ? <CompactEntry key={p.id} paper={p} /> : <PaperCard key={p.id} paper={p} />))}</>;
}
