// Types of buildStamp.mjs (plain JavaScript, imported by the bins before tsx is loaded).
export declare const STAMP_FILE: string;
export declare const REPO_ROOT: string;
/** The files a build is made from, relative to `root`, sorted. */
export declare function buildInputs(root?: string): string[];
/** SHA-256 (hex) over the inputs' paths and contents. */
export declare function sourceHash(root?: string): string;
export declare function clearStamp(root?: string): void;
export declare function writeStamp(hash: string, root?: string): void;
/** The built entry's absolute path when the stamp matches the sources now, else null. */
export declare function freshBuild(entry: string, root?: string, env?: Record<string, string | undefined>): string | null;
