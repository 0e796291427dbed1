/**
 * Every `sys.` view by lower-case two-part name: the catalog views (computed from the catalog) and
 * the dynamic management views (fed by the instance's live state), looked up in one place so every
 * name resolver sees both.
 */
import { DYNAMIC_VIEWS } from "./dmv";
import { MIRRORING_VIEWS } from "./mirroring/views";
import { VIEWS, type CatalogView } from "./views";

/** The view called `key` (e.g. `sys.certificates`, `sys.dm_db_mirroring_connections`), if any. */
export function systemView(key: string): CatalogView | undefined {
  return VIEWS.get(key) ?? DYNAMIC_VIEWS.get(key) ?? MIRRORING_VIEWS.get(key);
}
