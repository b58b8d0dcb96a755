// Type-level helpers for the compile-time checks that zod schemas match the
// generated Database types (rpc/type-checks.ts, collector/type-checks.ts).

/** True when A and B are the same type (not merely assignable). */
export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** The keys of T that are not optional. */
export type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

/** Fails to compile unless T is true. */
export type Assert<T extends true> = T;
