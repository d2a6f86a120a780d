/**
 * The digest email. Inline styles (Gmail drops most <style>), a single 600px column that
 * shrinks on phones, and a dark-mode block for the clients that honour it.
 */
import { Body, Container, Head, Heading, Hr, Html, Link, Preview, Section, Text } from '@react-email/components';
import type { DigestPaper, DigestView } from './view.ts';

const colors = { text: '#1f2328', muted: '#59636e', accent: '#0b57d0', rule: '#d1d9e0', bg: '#f6f8fa', card: '#ffffff' };
const font = '-apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif';

const darkMode = `
:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  .pb-body { background-color: #0d1117 !important; }
  .pb-card { background-color: #161b22 !important; }
  .pb-text { color: #e6edf3 !important; }
  .pb-muted { color: #9198a1 !important; }
  .pb-link { color: #4493f8 !important; }
}
@media only screen and (max-width: 620px) {
  .pb-card { padding: 16px !important; }
  .pb-title { font-size: 17px !important; }
}`;

function PaperEntry({ paper }: { paper: DigestPaper }) {
  const stats = [
    paper.upvotes !== undefined ? `▲ ${paper.upvotes}` : undefined,
    paper.comments ? `${paper.comments} comments` : undefined,
    paper.organization,
  ].filter(Boolean);
  return (
    <Section style={{ margin: '0 0 22px' }} id={paper.anchor}>
      <Link href={paper.links.abstract ?? paper.links.hf ?? paper.links.doi} className="pb-link pb-title" style={{ color: colors.accent, fontSize: '18px', fontWeight: 600, lineHeight: '24px', textDecoration: 'none' }}>
        {paper.title}
      </Link>
      {paper.byline || stats.length > 0 ? (
        <Text className="pb-muted" style={{ color: colors.muted, fontSize: '13px', lineHeight: '18px', margin: '4px 0 0' }}>
          {[paper.byline, ...stats].filter(Boolean).join(' · ')}
        </Text>
      ) : null}
      {paper.blurb ? (
        <Text className="pb-text" style={{ color: colors.text, fontSize: '15px', lineHeight: '22px', margin: '8px 0 6px' }}>
          {paper.blurb}
        </Text>
      ) : null}
      <Text style={{ fontSize: '13px', lineHeight: '18px', margin: '0' }}>
        {paper.linkList.map((l, i) => (
          <span key={l.href}>
            {i > 0 ? <span className="pb-muted" style={{ color: colors.muted }}> · </span> : null}
            <Link href={l.href} className="pb-link" style={{ color: colors.accent }}>
              {l.label}
            </Link>
          </span>
        ))}
      </Text>
    </Section>
  );
}

export function Digest({ view }: { view: DigestView }) {
  return (
    <Html lang="en" dir="ltr">
      <Head>
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        <style>{darkMode}</style>
      </Head>
      <Preview>{view.preheader}</Preview>
      <Body className="pb-body" style={{ backgroundColor: colors.bg, fontFamily: font, margin: 0, padding: '24px 0' }}>
        <Container className="pb-card" style={{ backgroundColor: colors.card, maxWidth: '600px', padding: '28px 32px', borderRadius: '8px' }}>
          <Text className="pb-muted" style={{ color: colors.muted, fontSize: '13px', margin: '0 0 4px' }}>
            {view.listName} ·{' '}
            <Link href={view.archiveUrl} className="pb-link" style={{ color: colors.accent }}>
              View in browser
            </Link>
          </Text>
          <Heading as="h1" className="pb-text" style={{ color: colors.text, fontSize: '26px', lineHeight: '32px', margin: '0 0 2px' }}>
            {view.heading}
          </Heading>
          <Text className="pb-muted" style={{ color: colors.muted, fontSize: '15px', margin: '0 0 20px' }}>
            {view.dateLabel} · {view.paperCount} {view.paperCount === 1 ? 'paper' : 'papers'}
          </Text>
          {view.highlights.length > 0 ? (
            <Section style={{ margin: '0 0 8px' }}>
              <Text className="pb-text" style={{ color: colors.text, fontSize: '14px', fontWeight: 600, margin: '0 0 6px', textTransform: 'uppercase', letterSpacing: '0.04em' }}>
                Highlights
              </Text>
              {view.highlights.map((p) => (
                <Text key={p.id} style={{ fontSize: '15px', lineHeight: '21px', margin: '0 0 6px' }}>
                  <Link href={`#${p.anchor}`} className="pb-link" style={{ color: colors.accent }}>
                    {p.title}
                  </Link>
                </Text>
              ))}
              <Hr style={{ borderColor: colors.rule, margin: '16px 0' }} />
            </Section>
          ) : null}
          {view.sections.map((section) => (
            <Section key={section.topic} style={{ margin: '0 0 8px' }}>
              <Heading as="h2" className="pb-text" style={{ color: colors.text, fontSize: '20px', lineHeight: '26px', margin: '8px 0 14px', borderBottom: `2px solid ${colors.rule}`, paddingBottom: '6px' }}>
                {section.title}
              </Heading>
              {section.papers.map((p) => (
                <PaperEntry key={p.id} paper={p} />
              ))}
            </Section>
          ))}
          <Hr style={{ borderColor: colors.rule, margin: '24px 0 16px' }} />
          <Text className="pb-muted" style={{ color: colors.muted, fontSize: '12px', lineHeight: '18px', margin: '0 0 6px' }}>
            You receive {view.listName} because you subscribed{view.topicsLabel ? ` (topics: ${view.topicsLabel})` : ''}.
          </Text>
          <Text className="pb-muted" style={{ color: colors.muted, fontSize: '12px', lineHeight: '18px', margin: '0' }}>
            <Link href={view.preferencesUrl} className="pb-link" style={{ color: colors.accent }}>
              Change topics or frequency
            </Link>
            {' · '}
            <Link href={view.unsubscribeUrl} className="pb-link" style={{ color: colors.accent }}>
              Unsubscribe
            </Link>
          </Text>
          {view.postalAddress ? (
            <Text className="pb-muted" style={{ color: colors.muted, fontSize: '12px', lineHeight: '18px', margin: '8px 0 0' }}>
              {view.postalAddress}
            </Text>
          ) : null}
        </Container>
      </Body>
    </Html>
  );
}
