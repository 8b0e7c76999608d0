// examples/session_step_test.ts (a user's unit test of session logic with step() and a hand-moved clock,
// imports from src/mod.ts only) runs with the suite: its tests are registered by importing it.
import "../../examples/session_step_test.ts";
