// Module resolution hook: resolves workspace packages through their `source` export condition (the
// TypeScript sources), as `node --conditions=source` would, for runs from sources without a build.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('source') ? context.conditions : [...context.conditions, 'source'];
  return nextResolve(specifier, { ...context, conditions });
}
