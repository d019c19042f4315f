// expect_error — runs an action that must throw a weir::Error and returns
// that error, so a test can check its kind and message; a test case fails
// when the action throws nothing.
#pragma once

#include <doctest/doctest.h>

#include <functional>

#include "core/error.hpp"

namespace weir::testing {

inline weir::Error expect_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const weir::Error& error) {
    return error;
  }
  FAIL("expected a weir::Error");
  return weir::Error(weir::ErrorKind::runtime, "unreachable");
}

}  // namespace weir::testing
