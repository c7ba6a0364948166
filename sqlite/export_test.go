package sqlite

// GroupState is the store's transactions ended and Updates queued.
func GroupState(s *Store) (transactions, queued int64) {
	_, transactions, queued, _ = s.db.GroupState()
	return transactions, queued
}
