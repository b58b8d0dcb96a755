// The viewer RPCs the CLI reads beyond the monitoring and alert registries (chunks, the access
// audit): rows stay loosely typed JSON, as --export writes them out unchanged.
import { z } from "zod";

const jsonRows = z.array(z.record(z.string(), z.unknown()));

export const dashboardReadRpcs = {
  list_chunks: {
    args: z.object({ max_rows: z.number().int().min(1).max(1000).optional() }),
    result: jsonRows,
  },
  get_access_audit: {
    args: z.object({ hours: z.number().int().min(1).max(168).optional(), max_rows: z.number().int().min(1).max(500).optional() }),
    result: z.object({
      window_start: z.string(),
      per_hour: jsonRows,
      top_callers: jsonRows,
      changes: jsonRows,
      recent: jsonRows,
    }),
  },
};
