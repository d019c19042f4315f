#include "core/provider/sse_parser.hpp"

#include "core/error.hpp"

namespace weir {

namespace {
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
}  // namespace

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> events;
  while (!bytes.empty()) {
    if (after_carriage_return_) {
      // "\r\n" is one line ending even when the slice boundary falls between.
      after_carriage_return_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    auto end = bytes.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      line_.append(bytes);
      check_size();
      break;
    }
    line_.append(bytes.substr(0, end));
    check_size();
    after_carriage_return_ = bytes[end] == '\r';
    bytes.remove_prefix(end + 1);
    end_line(events);
  }
  return events;
}

std::vector<SseEvent> SseParser::finish() {
  std::vector<SseEvent> events;
  // line_ is non-empty only when the stream stopped inside a line: drop it.
  line_.clear();
  dispatch(events);
  return events;
}

void SseParser::check_size() const {
  if (line_.size() + data_.size() > max_event_bytes_)
    throw Error(ErrorKind::upstream, "upstream sent a server-sent event larger than " +
                                         std::to_string(max_event_bytes_ >> 20) +
                                         " MiB; refusing to buffer it");
}

void SseParser::end_line(std::vector<SseEvent>& events) {
  std::string_view line = line_;
  if (at_stream_start_) {
    at_stream_start_ = false;
    if (line.substr(0, kByteOrderMark.size()) == kByteOrderMark)
      line.remove_prefix(kByteOrderMark.size());
  }
  if (line.empty()) {
    dispatch(events);
  } else if (line.front() != ':') {
    auto colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value;
    if (colon != std::string_view::npos) {
      value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
      if (has_data_) data_ += '\n';
      data_.append(value);
      has_data_ = true;
    } else if (field == "event") {
      event_name_.assign(value);
    } else if (field == "id") {
      // The spec ignores ids containing NUL: they could not be echoed back.
      if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
    } else if (field == "retry") {
      if (!value.empty() && value.size() < 10 &&
          value.find_first_not_of("0123456789") == std::string_view::npos)
        retry_ms_ = std::stol(std::string(value));
    }
  }
  line_.clear();
}

void SseParser::dispatch(std::vector<SseEvent>& events) {
  if (has_data_) {
    SseEvent event;
    event.event = std::move(event_name_);
    event.data = std::move(data_);
    event.id = last_id_;
    event.retry_ms = retry_ms_;
    events.push_back(std::move(event));
  }
  event_name_.clear();
  data_.clear();
  has_data_ = false;
  retry_ms_.reset();
}

}  // namespace weir
