/** A JSON value (what `JSON.parse` returns for valid input): run files, env states, checkpoints' JSON part. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A plain JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };
