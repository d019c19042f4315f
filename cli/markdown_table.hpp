// Markdown pipe tables on a terminal — a table's rows, held until the table
// ended, printed as aligned columns in a frame.
//
// A table is a run of lines that start with '|' (after up to three spaces)
// whose second line is a delimiter row (|---|:--:|--:|: the columns'
// alignment). render_table() gives the framed table: a top edge, the header
// row in bold, a rule, the body rows and a bottom edge; cells are split at
// unescaped '|' outside code spans, trimmed, styled inline
// (markdown_inline.hpp) and padded to their column's widest cell (in code
// points). A row with fewer cells gets empty ones; the column count is the
// widest row's. Lines without a delimiter row second are not a table: they
// are shown as written (styled inline), one per line.
#pragma once

#include <string>
#include <vector>

namespace weir::cli {

// `rows` without their line ends; the result ends with a newline.
std::string render_table(const std::vector<std::string>& rows);

}  // namespace weir::cli
