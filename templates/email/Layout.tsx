/**
 * The frame every email shares: head (title, preheader, colour schemes, the stylesheet), a
 * single 600 px column with no outer background (nothing to leave a light frame in dark
 * mode), a header line and the footer.
 */
import type { CSSProperties, ReactNode } from 'react';
import {
  MjAll,
  MjAttributes,
  Mjml,
  MjBody,
  MjBreakpoint,
  MjColumn,
  MjDivider,
  MjHead,
  MjRaw,
  MjSection,
  MjSectionDefaults,
  MjStyle,
  MjText,
  MjTextDefaults,
  MjTitle,
} from './mjml.ts';
import { color, font, size, stylesheet } from './theme.ts';

export const muted: CSSProperties = { color: color.muted, fontSize: size.small, lineHeight: '20px' };
export const link: CSSProperties = { color: color.accent };
/** A link in a line of text that is still a 44 px tap target. */
export const textLink: CSSProperties = { ...link, display: 'inline-block', padding: '12px 0' };
// A button is a table cell, as mj-button draws one: Outlook for Windows takes a background and
// padding only from cells (on a link it drops both, and inline buttons run together). The link
// fills its cell with the same padding, so that the whole box is the tap target elsewhere.
const buttonCell: CSSProperties = { borderRadius: '6px', backgroundColor: color.buttonBg, msoPaddingAlt: '12px 10px' } as CSSProperties;
const buttonLink: CSSProperties = { display: 'block', padding: '12px 10px', fontSize: '15px', lineHeight: '20px', color: color.accent, textDecoration: 'none' };
// Each button is its own table aligned left, so that a row of them wraps on a narrow phone
// like words; Outlook for Windows floats tables by their `align` (it has no `float`).
const buttonTable: CSSProperties = { float: 'left', margin: '0 6px 6px 0', borderCollapse: 'separate' };

/** Link buttons side by side: 15 px text in boxes 44 px tall (the smallest comfortable tap target), 6 px apart. */
export function Buttons({ links }: { links: { label: string; href: string }[] }) {
  return (
    <>
      {links.map((l) => (
        <table key={l.href} role="presentation" align="left" cellPadding={0} cellSpacing={0} border={0} style={buttonTable}>
          <tbody>
            <tr>
              <td className="pb-b" style={buttonCell}>
                <a href={l.href} className="pb-a" style={buttonLink}>
                  {l.label}
                </a>
              </td>
            </tr>
          </tbody>
        </table>
      ))}
    </>
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
          <Buttons links={links} />
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
        <MjRaw
          dangerouslySetInnerHTML={{ __html: '<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">' }}
        />
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
