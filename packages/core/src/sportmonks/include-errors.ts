// What an include rejection (5000, 5001, 5002, 5008, 5013) tells the caller:
// which include, and what to change. The API's message is free text, so the
// include is read from it only when it names one of the request's includes.
import { SPORTMONKS_CODES } from "./errors.ts";

/** Nesting depth most v3 endpoints allow (`a.b.c`), per the nested-includes reference. */
export const SPORTMONKS_MAX_INCLUDE_DEPTH = 3;

/**
 * The include a rejection is about, spelled as the request spelled it: one the
 * message names (quoted or not, any case: the API lower-cases names), else the
 * only include requested, else null.
 */
export function rejectedInclude(message: string | undefined, requested: readonly string[]): string | null {
  const text = message ?? "";
  // Longest first, so `lineups.player` wins over `lineups`.
  for (const name of [...requested].sort((a, b) => b.length - a.length)) {
    // Not part of a longer name: `lineups` does not match inside `lineups.player`, but may end a sentence.
    const pattern = new RegExp(`(?<![A-Za-z0-9_.])${name.replaceAll(".", "\\.")}(?![A-Za-z0-9_]|\\.[A-Za-z])`, "i");
    if (pattern.test(text)) return name;
  }
  return requested.length === 1 ? (requested[0] ?? null) : null;
}

/** The problem and the fix, for the error message. */
export function includeProblem(code: number, include: string | null, requested: readonly string[]): { problem: string; fix: string } {
  const subject = include
    ? `include \`${include}\``
    : `one of the includes (${requested.map((name) => `\`${name}\``).join(", ") || "none sent"})`;
  const drop = include ? `drop \`${include}\` from the includes` : "drop it from the includes";
  switch (code) {
    case SPORTMONKS_CODES.includeNotAllowed:
      return { problem: `${subject} is not allowed on this endpoint`, fix: drop };
    case SPORTMONKS_CODES.includeNotFound:
      return { problem: `${subject} does not exist`, fix: "check the include name against the endpoint's documented includes" };
    case SPORTMONKS_CODES.insufficientIncludes:
      return { problem: `${subject} is not in the plan`, fix: `${drop} or upgrade the plan` };
    case SPORTMONKS_CODES.includeDepth:
      return { problem: `${subject} nests too deep`, fix: `reduce nesting to at most ${SPORTMONKS_MAX_INCLUDE_DEPTH} levels` };
    case SPORTMONKS_CODES.includeNotAvailable:
      return { problem: `${subject} is not available on this entity`, fix: drop };
    default:
      return { problem: `${subject} was rejected`, fix: `${drop} or check the plan's includes` };
  }
}
