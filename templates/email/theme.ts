/**
 * The visual language of every email (and of the web edition): one palette, one type scale.
 * Light colours are inline (clients that drop <style> still get them); dark mode switches
 * every one of them by class, so no light frame or rule is left behind. The light palette is
 * mid-contrast on purpose: Gmail ignores `prefers-color-scheme` and inverts colours itself,
 * and these survive its inversion readable.
 */
export const color = {
  text: '#1f2328',
  muted: '#57606a',
  accent: '#0b57d0',
  rule: '#d0d7de',
  buttonBg: '#e8f0fe',
  tagBg: '#f0f2f4',
  darkBg: '#0d1117',
  darkText: '#e6edf3',
  darkMuted: '#9da7b3',
  darkAccent: '#79b8ff',
  darkRule: '#30363d',
  darkButtonBg: '#1b2a41',
  darkTagBg: '#21262d',
} as const;

// unquoted: an attribute would carry each quote as an entity, once per block
export const font = '-apple-system,BlinkMacSystemFont,Segoe UI,Helvetica,Arial,sans-serif';

/** Type scale: body 16 px, nothing under 13 px. */
export const size = { small: '14px', body: '16px', title: '18px', h2: '20px', h1: '26px' } as const;

/**
 * The only stylesheet: dark mode, and phone-width tweaks. `[data-ogsc]` is Outlook.com's dark
 * mode marker; the rest honour `prefers-color-scheme`.
 */
export const stylesheet = `
:root{color-scheme:light dark;supported-color-schemes:light dark}
@media (prefers-color-scheme:dark){
body,.pb-bg{background-color:${color.darkBg}!important}
.pb-x,.pb-x>div{color:${color.darkText}!important}
.pb-m,.pb-m>div{color:${color.darkMuted}!important}
.pb-a{color:${color.darkAccent}!important}
.pb-b{background-color:${color.darkButtonBg}!important;color:${color.darkAccent}!important}
.pb-g{background-color:${color.darkTagBg}!important;color:${color.darkMuted}!important}
.pb-r p{border-top-color:${color.darkRule}!important}
.pb-h{border-bottom-color:${color.darkRule}!important}
}
[data-ogsc] .pb-x{color:${color.darkText}!important}
[data-ogsc] .pb-m{color:${color.darkMuted}!important}
[data-ogsc] .pb-a,[data-ogsc] .pb-b{color:${color.darkAccent}!important}
`;
