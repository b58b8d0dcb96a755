// Flag parsing for the alerts CLI: every error names the flag and what it takes.

/** Removes `name VALUE` from args (every occurrence) and returns the values. */
export function takeAll(args: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = args.indexOf(name); i >= 0; i = args.indexOf(name)) {
    const value = args[i + 1];
    if (value === undefined || value.startsWith("--")) throw new Error(`${name}: needs a value`);
    values.push(value);
    args.splice(i, 2);
  }
  return values;
}

/** Removes `name VALUE` from args and returns the value; a repeated flag is an error. */
export function take(args: string[], name: string): string | undefined {
  const values = takeAll(args, name);
  if (values.length > 1) throw new Error(`${name}: given ${values.length} times; give it once`);
  return values[0];
}

/** Removes a switch (no value) from args and says whether it was there. */
export function takeSwitch(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  if (args.includes(name)) throw new Error(`${name}: given more than once`);
  return true;
}

/** Fails on anything not consumed. */
export function requireConsumed(args: string[], usage: string): void {
  if (args.length > 0) throw new Error(`unexpected argument ${args[0]}\n${usage}`);
}

export function parseNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new Error(`${flag}: "${text}" is not a number; e.g. 5 or 2.5`);
  return value;
}

export function parseWholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`${flag}: "${text}" is not a whole number; e.g. 3`);
  return Number(text);
}

/**
 * The database names its own fields, the user typed flags: `for_seconds: must be …`
 * → `--for: must be …`, `changes.params.samples: …` → `--param samples: …`.
 */
export function messageWithFlag(message: string, flagOfField: Record<string, string>): string {
  const match = /^(changes\.)?([a-z_]+)(\.([a-z_]+))?: /.exec(message);
  // A nested field with a flag of its own (params.league_id → --league) is named by it.
  const own = match?.[4] ? flagOfField[`${match[2]}.${match[4]}`] : undefined;
  if (match && own) return `${own}: ${message.slice(match[0].length)}`;
  const flag = match && flagOfField[match[2] as string];
  if (!match || !flag) return message;
  return `${flag}${match[4] ? ` ${match[4]}` : ""}: ${message.slice(match[0].length)}`;
}
