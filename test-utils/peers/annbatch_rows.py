"""annbatch 0.3.1's Loader on arrays whose chunks split an axis other than the first.

Loader._fetch_data_dense (annbatch/loader.py) reads the rows of a load
request, grouped into runs of consecutive rows, through one
annbatch.utils.MultiBasicIndexer made of a zarr BasicIndexer per run, into
an np.empty buffer. MultiBasicIndexer.__iter__ writes each chunk projection
of a run to output rows [total, total + its rows) and then adds its rows to
total: it takes every projection for rows of their own. That holds only when
a chunk spans every other axis whole, as annbatch's own writer chunks (its
write_sharded chunks and shards the first axis only). Where the chunks split
another axis, as an .h5sc's (1, 1, S, S) do the channels, a run's rows come
as one projection per channel chunk: the second channel of a row lands a row
further down, the third two rows, ...; those past the end of the buffer are
dropped (numpy broadcasts a 1-row chunk into an empty slice without an
error), and rows nothing lands on keep np.empty's bytes.

fix() offsets each projection by the rows of the runs before its own
instead; a projection's out_selection is already relative to its run.
"""
import annbatch.utils


def _iter(self):
    total = 0
    for indexer in self.indexers:
        for c in indexer:
            rows = c[2][0]
            yield type(c)(c[0], c[1], (slice(rows.start + total, rows.stop + total), *c[2][1:]), c[3])
        total += indexer.shape[0]


def fix():
    annbatch.utils.MultiBasicIndexer.__iter__ = _iter
