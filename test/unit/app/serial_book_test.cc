// SerialBook (app/serial_book.h), no database: serials are handed out from the
// reservation and never beyond it; a start after a crash begins above the
// reservation; a zone the CLI changed never serves a serial already served; RFC 1982
// wrap-around.
#include <doctest/doctest.h>

#include "app/serial_book.h"

using fodns::app::SerialBook;

TEST_CASE("serial_book: advance stays within the reservation, written() extends it") {
  SerialBook book(3);
  CHECK(book.on_load(1, 100, std::nullopt, std::nullopt, true) == 100);
  CHECK_FALSE(book.advance(1, 100).has_value());  // nothing reserved: must be written first
  book.written(1, 100);                           // reserves up to 103
  CHECK(book.advance(1, 100) == 101);
  CHECK(book.advance(1, 102) == 103);
  CHECK_FALSE(book.advance(1, 103).has_value());  // all used
  book.written(1, 103);
  CHECK(book.advance(1, 103) == 104);
  book.forget(1);
  CHECK_FALSE(book.advance(1, 103).has_value());
}

TEST_CASE("serial_book: a start after a crash begins above the reservation") {
  SerialBook book(256);
  // Stored 100, reserved 356: up to 356 may have been served and not written.
  CHECK(book.on_load(1, 100, 356u, std::nullopt, true) == 357);
  // A clean stop released the reservation: the stored serial is the served one.
  CHECK(book.on_load(2, 100, std::nullopt, std::nullopt, true) == 100);
  // A reservation at or behind the stored serial (the CLI moved on) is no reason to skip.
  CHECK(book.on_load(3, 500, 356u, std::nullopt, true) == 500);
  // While running, a reservation is only a reservation.
  CHECK(book.on_load(4, 100, 356u, std::nullopt, false) == 100);
  CHECK(book.advance(4, 100) == 101);
}

TEST_CASE("serial_book: a zone changed by another writer never reuses a served serial") {
  SerialBook book(256);
  // We served 105 from the reservation; the CLI, reading the stored 100, wrote 101.
  CHECK(book.on_load(1, 101, 356u, 105u, false) == 106);
  // The CLI landed exactly on what we served: a new content needs a new serial.
  CHECK(book.on_load(1, 105, 356u, 105u, false) == 106);
  // The CLI moved ahead of us: its serial stands.
  CHECK(book.on_load(1, 900, 356u, 105u, false) == 900);
}

TEST_CASE("serial_book: RFC 1982 wrap-around") {
  SerialBook book(10);
  CHECK(book.on_load(1, 0xfffffffdu, 0x00000003u, std::nullopt, true) == 4);
  CHECK(book.on_load(2, 0xfffffffeu, std::nullopt, std::nullopt, true) == 0xfffffffeu);
  book.written(2, 0xfffffffeu);  // reserves up to 8 (mod 2^32)
  CHECK(book.advance(2, 0xffffffffu) == 0u);
  CHECK(book.advance(2, 7) == 8u);
  CHECK_FALSE(book.advance(2, 8).has_value());
}
