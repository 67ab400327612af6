package api

// seatAttempts bounds the read-decide-write rounds of one seat change of
// the handlers not moved to a use case yet (licences, Visual Studio); the
// credit use cases use credit.Attempts.
const seatAttempts = 8
