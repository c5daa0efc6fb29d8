// `Pool extends AsyncDisposable` in the published .d.ts needs the lib that
// declares it (`esnext.disposable`, `esnext`, or @types/node); a page project
// with `lib: ["ES2022", "DOM"]` and `skipLibCheck: false` failed on it. These
// types take the key from the user's own `SymbolConstructor`: where the lib
// declares `Symbol.asyncDispose`, the member is that symbol's method (and
// `await using` types); where it does not, there is no member and nothing to
// resolve. No global is declared, so nothing can conflict with the real lib.

/**
 * `AsyncDisposable` where the project's TypeScript `lib` declares
 * `Symbol.asyncDispose` (`"esnext.disposable"`, `"esnext"`, or `@types/node`),
 * so `await using pool = createPool(...)` type-checks there; an empty type
 * where it does not, so these declarations compile in a project without it (a
 * page with `lib: ["ES2022", "DOM"]`). At run time the method is always there
 * when the runtime has `Symbol.asyncDispose`.
 * @public
 */
export type AsyncDisposableLike = {
  [K in SymbolConstructor extends { readonly asyncDispose: infer S extends symbol } ? S : never]: () => Promise<void>
}

/**
 * `Disposable` where the project's TypeScript `lib` declares `Symbol.dispose`
 * (`"esnext.disposable"`, `"esnext"`, or `@types/node`), so `using` type-checks
 * there; an empty type where it does not. See {@link AsyncDisposableLike}.
 * @public
 */
export type DisposableLike = {
  [K in SymbolConstructor extends { readonly dispose: infer S extends symbol } ? S : never]: () => void
}
