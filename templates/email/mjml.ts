/**
 * Typed React components for the MJML tags the emails use. React writes the MJML markup
 * (escaping every text and attribute), `mjml` compiles it to email HTML (Outlook ghost tables,
 * fixed-width fallback, cell padding, viewport): one way to write an email.
 */
import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReactElement } from 'react';

type Px = `${number}px`;
interface Common {
  children?: ReactNode;
  'css-class'?: string;
  padding?: string;
}

const tag =
  <P extends object>(name: string) =>
  (props: P & { children?: ReactNode }) =>
    createElement(name, props as Record<string, unknown>);

export const Mjml = tag<{ lang: string; dir?: 'ltr' | 'rtl' }>('mjml');
export const MjHead = tag<object>('mj-head');
export const MjTitle = tag<object>('mj-title');
export const MjBreakpoint = tag<{ width: Px }>('mj-breakpoint');
export const MjAttributes = tag<object>('mj-attributes');
export const MjAll = tag<{ 'font-family'?: string; padding?: string }>('mj-all');
export const MjTextDefaults = tag<{ 'css-class'?: string; padding?: string; color?: string; 'font-size'?: Px; 'line-height'?: Px }>('mj-text');
export const MjSectionDefaults = tag<{ padding?: string }>('mj-section');
export const MjStyle = tag<{ inline?: 'inline'; dangerouslySetInnerHTML?: { __html: string } }>('mj-style');
/** Raw HTML, for what MJML has no element for: meta tags in the head, the hidden preheader in the body. */
export const MjRaw = tag<{ dangerouslySetInnerHTML?: { __html: string } }>('mj-raw');
export const MjBody = tag<Common & { width: Px; 'background-color'?: string }>('mj-body');
export const MjSection = tag<Common & { 'background-color'?: string; 'border-radius'?: Px }>('mj-section');
export const MjColumn = tag<Common>('mj-column');
export const MjText = tag<Common & { color?: string; 'font-size'?: Px; 'line-height'?: Px; 'font-weight'?: string; align?: 'left' | 'center' }>('mj-text');
export const MjDivider = tag<Common & { 'border-color': string; 'border-width': Px }>('mj-divider');
export const MjButton = tag<
  Common & {
    href: string;
    'background-color': string;
    color: string;
    'font-size': Px;
    'font-weight'?: string;
    'inner-padding': string;
    'border-radius': Px;
    align?: 'left' | 'center';
    target?: string;
    'line-height'?: Px;
  }
>('mj-button');

export interface CompiledEmail {
  html: string;
  /** The MJML the components wrote (bench and debugging). */
  mjml: string;
}

/**
 * Compiles one email: strict validation (a bad attribute is an error, not a quietly broken
 * email), minified, the stylesheet is written small already (cssnano is not needed); no web fonts (no remote request is needed to read it).
 */
export async function compileEmail(element: ReactElement): Promise<CompiledEmail> {
  const mjml = renderToStaticMarkup(element);
  const { default: mjml2html } = await import('mjml');
  const out = await mjml2html(mjml, { validationLevel: 'strict', minify: true, minifyOptions: { minifyCss: false }, keepComments: false, fonts: {} });
  return { html: out.html, mjml };
}
