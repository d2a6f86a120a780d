/**
 * The frame every email shares: head (title, preheader, colour schemes, the stylesheet), a
 * single 600 px column with no outer background (nothing to leave a light frame in dark
 * mode), a header line and the footer.
 */
import type { CSSProperties, ReactNode } from 'react';
import { MjAll, MjAttributes, Mjml, MjBody, MjBreakpoint, MjColumn, MjDivider, MjHead, MjRaw, MjSection, MjSectionDefaults, MjStyle, MjText, MjTextDefaults, MjTitle } from './mjml.ts';
import { color, font, size, stylesheet } from './theme.ts';

export const muted: CSSProperties = { color: color.muted, fontSize: size.small, lineHeight: '20px' };
export const link: CSSProperties = { color: color.accent };
/** A link as a button: 15 px text in a box 44 px tall, the smallest comfortable tap target. */
export const button: CSSProperties = {
  display: 'inline-block',
  margin: '0 6px 6px 0',
  padding: '12px 12px',
  fontSize: '15px',
  lineHeight: '20px',
  borderRadius: '6px',
  background: color.buttonBg,
  color: color.accent,
  textDecoration: 'none',
};

export function Button({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a href={href} className="pb-b" style={button}>
      {children}
    </a>
  );
}

/** A horizontal rule that dark mode recolours. */
export function Rule() {
  return <MjDivider css-class="pb-r" border-color={color.rule} border-width="1px" padding="20px 0" />;
}

/** One block of the single column. */
export function Block({ children, padding = '0 20px' }: { children: ReactNode; padding?: string }) {
  return (
    <MjSection padding={padding}>
      <MjColumn>{children}</MjColumn>
    </MjSection>
  );
}

export interface FooterProps {
  reason?: string;
  links: { label: string; href: string }[];
  postalAddress?: string;
  listName: string;
}

export function Footer({ reason, links, postalAddress, listName }: FooterProps) {
  return (
    <>
      <Rule />
      {reason ? (
        <MjText css-class="pb-m" color={color.muted} font-size={size.small} line-height="20px" padding="0 0 8px">
          {reason}
        </MjText>
      ) : null}
      {links.length > 0 ? (
        <MjText padding="0">
          {links.map((l) => (
            <Button key={l.label} href={l.href}>
              {l.label}
            </Button>
          ))}
        </MjText>
      ) : null}
      <MjText css-class="pb-m" color={color.muted} font-size={size.small} line-height="20px" padding="8px 0 24px">
        {postalAddress ? `${listName} · ${postalAddress}` : listName}
      </MjText>
    </>
  );
}

/**
 * The line inboxes show after the subject. Hidden by display and height only: MJML's
 * <mj-preview> also paints it white (on white), which SpamAssassin scores as hidden text
 * (HTML_FONT_LOW_CONTRAST, +0.7 on every email); `mso-hide` hides it in Outlook for Windows.
 */
function Preheader({ text }: { text: string }) {
  return (
    <MjRaw>
      <div style={{ display: 'none', maxHeight: '0', overflow: 'hidden', msoHide: 'all' } as CSSProperties}>{text}</div>
    </MjRaw>
  );
}

export function EmailShell({ title, preheader, children }: { title: string; preheader: string; children: ReactNode }) {
  return (
    <Mjml lang="en" dir="ltr">
      <MjHead>
        <MjTitle>{title}</MjTitle>
        {/* as a string: React 19 hoists <meta> elements out of any parent */}
        <MjRaw dangerouslySetInnerHTML={{ __html: '<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">' }} />
        <MjBreakpoint width="480px" />
        <MjAttributes>
          <MjAll font-family={font} padding="0" />
          <MjTextDefaults css-class="pb-x" color={color.text} font-size={size.body} line-height="24px" padding="0" />
          <MjSectionDefaults padding="0 20px" />
        </MjAttributes>
        {/* our own constant: React would escape its `>` selectors */}
        <MjStyle dangerouslySetInnerHTML={{ __html: stylesheet }} />
      </MjHead>
      <MjBody width="600px" css-class="pb-bg">
        <Preheader text={preheader} />
        {children}
      </MjBody>
    </Mjml>
  );
}

export { color, size, MjText, MjColumn, MjSection };
