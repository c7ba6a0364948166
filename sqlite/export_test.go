package sqlite

// GroupState is the store's commits so far and Updates queued now.
func GroupState(s *Store) (commits, queued int64) {
	_, commits, queued, _ = s.db.GroupState()
	return commits, queued
}
