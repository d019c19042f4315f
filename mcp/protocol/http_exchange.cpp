#include "mcp/protocol/http_exchange.hpp"

namespace weir::mcp::protocol {

const std::string* HttpRequestView::header(std::string_view lower_case_name) const {
  if (!headers) return nullptr;
  for (const auto& [name, value] : *headers)
    if (name == lower_case_name) return &value;
  return nullptr;
}

}  // namespace weir::mcp::protocol
