package controller

import "context"

// Hold, Holds and Let expose the controller's use of leases to the tests.
func (l *Leased) Hold(ctx context.Context, vcID, id string) (bool, error) {
	return l.hold(ctx, vcID, id)
}
func (l *Leased) Holds(vcID, id string) bool               { return l.holds(vcID, id) }
func (l *Leased) Let(ctx context.Context, vcID, id string) { l.let(ctx, vcID, id) }
