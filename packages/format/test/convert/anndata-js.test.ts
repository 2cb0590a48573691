// anndata.js's fixtures (anndata 0.7-0.10 write_zarr) converted to Zarr v2 and v3.
import { defineConversions, listSources } from "./shared.js";

defineConversions("anndata.js fixtures convert to Zarr v2 and v3", listSources().filter((s) => s.includes("anndata-js")));
