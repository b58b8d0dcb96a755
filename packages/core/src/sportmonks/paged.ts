// Pagination over v3 list endpoints: iterate items, or pages when the caller
// wants to checkpoint per page.
import type { Pagination, RateLimit } from "./schemas.ts";

export interface Page<T> {
  items: T[];
  /** Null on endpoints that answer in one page. */
  pagination: Pagination | null;
  rateLimit: RateLimit | null;
}

export class Paged<T> implements AsyncIterable<T> {
  readonly #pages: () => AsyncGenerator<Page<T>>;

  constructor(pages: () => AsyncGenerator<Page<T>>) {
    this.#pages = pages;
  }

  /** Pages in order; each is requested only when the previous one has been consumed. */
  pages(): AsyncGenerator<Page<T>> {
    return this.#pages();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.#pages()) yield* page.items;
  }

  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}

/**
 * The query parameters that fetch the next page, or null on the last one.
 * Only `page`/`cursor` are taken from `next_page`: the request is rebuilt on the
 * client's own base URL, so the key is never sent to a host named by a response
 * and the caller's per_page and includes stay as they were.
 */
export function nextPageParams(pagination: Pagination | undefined): URLSearchParams | null {
  if (!pagination?.has_more) return null;
  const next = new URLSearchParams();
  const link = pagination.next_page ? safeUrl(pagination.next_page) : null;
  const cursor = link?.searchParams.get("cursor") ?? pagination.next_cursor ?? null;
  const page = link?.searchParams.get("page");
  if (cursor) next.set("cursor", cursor);
  else next.set("page", page && /^\d+$/.test(page) ? page : String(pagination.current_page + 1));
  return next;
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text, "http://relative.invalid");
  } catch {
    return null;
  }
}
