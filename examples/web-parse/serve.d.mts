// Types of serve.mjs, for the browser test and the web-parse benchmark that start it.

/** URL prefix → folder on disk; the first prefix that matches wins. */
export declare const ROUTES: ReadonlyArray<readonly [prefix: string, folder: string]>
/** Bare specifier → the URL the server serves it at. */
export declare const SPECIFIERS: Readonly<Record<string, string>>
/** Rewrites the bare specifiers named in `specifiers` in the imports of a JavaScript source. */
export declare function rewriteBareImports(source: string, specifiers?: Readonly<Record<string, string>>): string
/** Starts the server (`port: 0` picks a free port). */
export declare function serve(options?: { port?: number; host?: string }): Promise<{ url: string; close(): Promise<void> }>
