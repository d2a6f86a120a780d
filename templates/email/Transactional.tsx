/**
 * The one-reader emails (confirm, welcome, preferences changed, test) in the digest's look:
 * a heading, a few short paragraphs, the facts they are about (topics, delivery time), one
 * call to action, the footer.
 */
import { Block, EmailShell, Footer, MjText, color, size } from './Layout.tsx';
import { MjButton } from './mjml.ts';

export interface TransactionalView {
  listName: string;
  subject: string;
  /** The line inboxes show after the subject. */
  preheader: string;
  heading: string;
  paragraphs: string[];
  /** Label and value, one a line: what the reader chose. */
  facts?: [string, string][];
  /** Paragraphs after the facts. */
  closing?: string[];
  action?: { label: string; href: string };
  footerLinks: { label: string; href: string }[];
  postalAddress?: string;
}

function Paragraph({ text }: { text: string }) {
  return (
    <MjText padding="0 0 12px">
      <p style={{ margin: 0 }}>{text}</p>
    </MjText>
  );
}

export function Transactional({ view }: { view: TransactionalView }) {
  return (
    <EmailShell title={view.subject} preheader={view.preheader}>
      <Block padding="16px 20px 0">
        <MjText css-class="pb-m" padding="0 0 8px">
          <p className="pb-m" style={{ color: color.muted, fontSize: size.small, lineHeight: '20px', margin: 0 }}>
            {view.listName}
          </p>
        </MjText>
        <MjText padding="0 0 8px">
          <h1 style={{ margin: 0, fontSize: size.h1, lineHeight: '32px', fontWeight: 700 }}>{view.heading}</h1>
        </MjText>
        {view.paragraphs.map((p) => (
          <Paragraph key={p} text={p} />
        ))}
        {view.facts?.length ? (
          <MjText padding="0 0 12px">
            {view.facts.map(([label, value]) => (
              <p key={label} style={{ margin: '0 0 4px' }}>
                <strong>{label}:</strong> {value}
              </p>
            ))}
          </MjText>
        ) : null}
        {(view.closing ?? []).map((p) => (
          <Paragraph key={p} text={p} />
        ))}
        {view.action ? (
          <MjButton
            href={view.action.href}
            align="left"
            background-color={color.accent}
            color="#ffffff"
            font-size="16px"
            font-weight="600"
            line-height="20px"
            inner-padding="12px 20px"
            border-radius="6px"
            padding="8px 0 16px"
            target=""
          >
            {view.action.label}
          </MjButton>
        ) : null}
        <Footer listName={view.listName} postalAddress={view.postalAddress} links={view.footerLinks} />
      </Block>
    </EmailShell>
  );
}
