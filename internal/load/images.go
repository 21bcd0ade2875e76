package load

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/counternet/counternet/internal/event"
)

// ImageWriter stores image and escalation events (listing_images and
// image_escalations); images.Store is one. It returns nil only when every
// row was stored; rows stored twice collapse by event_id.
type ImageWriter interface {
	InsertImages(ctx context.Context, imgs []event.Image, escs []event.ImageEscalation) error
}

// errNoImageWriter dead-letters image events a loader has no table for.
var errNoImageWriter = errors.New("image event: this loader has no image writer (Sinks.Images), so it cannot store it")

var (
	imageSubject      = event.SubjectPrefix + "." + event.TypeImage + "."
	escalationSubject = event.SubjectPrefix + "." + event.TypeImageEscalation + "."
)

// imageRows are the image and escalation events of a batch.
type imageRows struct {
	images      []event.Image
	escalations []event.ImageEscalation
}

func (r *imageRows) len() int { return len(r.images) + len(r.escalations) }

// cleared empties r keeping its capacity.
func (r imageRows) cleared() imageRows {
	clear(r.images)
	clear(r.escalations)
	return imageRows{images: r.images[:0], escalations: r.escalations[:0]}
}

// addImage takes msg into b when it is an image or escalation event
// (published alone, on intel.v1.image.<source> or
// intel.v1.image_escalation.<source>) and reports whether it was one. One
// that does not decode, or that this loader cannot store, is set aside as
// a dead letter with the reason.
func (l *Loader) addImage(b *batch, msg jetstream.Msg) bool {
	s := msg.Subject()
	if !strings.HasPrefix(s, imageSubject) && !strings.HasPrefix(s, escalationSubject) {
		return false
	}
	if l.sinks.Images == nil {
		b.dead = append(b.dead, deadMsg{msg: msg, reason: errNoImageWriter})
		return true
	}
	m, err := event.DecodeImage(s, msg.Data())
	if err != nil {
		b.dead = append(b.dead, deadMsg{msg: msg, reason: err})
		return true
	}
	if m.Image != nil {
		b.images.images = append(b.images.images, *m.Image)
	} else {
		b.images.escalations = append(b.images.escalations, *m.Escalation)
	}
	b.events++
	b.acks = append(b.acks, msg.Reply())
	return true
}

// insertImages stores b's image rows, if any.
func (l *Loader) insertImages(ctx context.Context, b *batch) error {
	if b.images.len() == 0 {
		return nil
	}
	return l.sinks.Images.InsertImages(ctx, b.images.images, b.images.escalations)
}
