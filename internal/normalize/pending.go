package normalize

import "github.com/counternet/counternet/internal/event"

func percent(raw string) (float64, error) { return Float(raw) }

func readHistory(fs fields, raw string) []event.HistoryClaim { return nil }

func contactsIn(raw string) []event.Contact { return nil }
