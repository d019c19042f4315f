// The web chat page (http/web/, compiled in): GET /chat/{session_id} is the
// page, GET /assets/chat/{file} its script and style sheet. The page holds no
// data: it reads the access key from its URL's fragment and asks the session
// routes (chat_session_routes.cpp) for everything else.
//
// Its Content-Security-Policy allows only this server's own script, style
// and connections: no inline script, no eval, no other origin, no frames, no
// forms posting elsewhere. The page renders model text as DOM nodes (never
// as markup), so an answer cannot run script; the policy is the second wall.
#include "core/error.hpp"
#include "http/api_routes.hpp"
#include "http/web_assets.hpp"

namespace weir::http {

namespace {

constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

HeaderList page_headers(bool cache) {
  return {{"Content-Security-Policy", kContentSecurityPolicy},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Frame-Options", "DENY"},
          {"Cache-Control", cache ? "no-cache" : "no-store"}};
}

}  // namespace

void send_page_asset(ResponseWriter& response, std::string_view name, bool cache) {
  const auto* asset = find_web_asset(name);
  if (!asset) throw Error(ErrorKind::not_found, "no such file of weir's pages: " + std::string(name));
  response.send(200, asset->content_type, asset->body, page_headers(cache));
}

void mount_chat_page_routes(Server& server) {
  server.route("GET", "/chat/*", [](const Request& request, ResponseWriter& response) {
    auto id = std::string_view(request.path).substr(std::string_view("/chat/").size());
    if (id.empty() || id.find('/') != std::string_view::npos)
      throw Error(ErrorKind::not_found, "a chat page is /chat/SESSION_ID#key=ACCESS_KEY, as `weir chat-client session` prints it");
    send_page_asset(response, "chat.html", false);
  });
  server.route("GET", "/assets/chat/*", [](const Request& request, ResponseWriter& response) {
    auto name = std::string_view(request.path).substr(std::string_view("/assets/chat/").size());
    if (name.rfind("chat.", 0) != 0 || name == "chat.html")
      throw Error(ErrorKind::not_found, "no such file of the chat page: " + std::string(name));
    send_page_asset(response, name, true);
  });
}

}  // namespace weir::http
