/**
 * During `pulumi preview` the engine sends values that are not known yet (outputs of resources
 * still to be created) as this sentinel string. Validation must skip such values, never reject them.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when a value, or any value nested in it, is preview's unknown sentinel. */
export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value !== null && typeof value === "object" && !Buffer.isBuffer(value)) return Object.values(value).some(isUnknown);
  return false;
}
