/**
 * What goes into a log line from outside (URLs, provider reasons) is cut to a
 * bounded length, so one request cannot cost more log than it is worth.
 */

/** Longest text from outside written to the log for one field. */
export const MAX_LOGGED_CHARS = 300;

/** `text`, or its first MAX_LOGGED_CHARS characters and its full length. */
export function bounded(text: string, max = MAX_LOGGED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

/** The path of a request URL without its query, bounded: for lines that are not about the query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return bounded(q === -1 ? url : url.slice(0, q));
}
