/**
 * The one escape for a value placed in HTML (or XML) text or a quoted attribute: all five
 * characters that can end a text or an attribute, `'` included, so that a value is safe in an
 * attribute whichever quote the template used.
 */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
