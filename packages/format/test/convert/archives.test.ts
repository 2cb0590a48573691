// The anndata archives (0.5 legacy, 0.7, 0.11) and our anndata 0.8 fixtures converted to Zarr v2 and v3.
import path from "node:path";
import { ANNDATA_DATA } from "../anndata/helpers.js";
import { defineConversions, listSources } from "./shared.js";

defineConversions("anndata archives convert to Zarr v2 and v3", [
  ...listSources().filter((s) => s.includes("anndata-archives")),
  path.join(ANNDATA_DATA, "all-types.h5ad"),
  path.join(ANNDATA_DATA, "all-types.zarr"),
]);
