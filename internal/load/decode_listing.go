package load

import (
	"strconv"
	"strings"

	"github.com/counternet/counternet/internal/event"
)

// listingKeys are the JSON keys of event.Listing the fast decoder reads,
// in the order of the indexes listing returns for them (at most 64: the
// decoder marks keys seen in one word).
var listingKeys = []string{
	"schema", "event_id", "source", "mirror", "url", "observed_at", "capture_sha256", "pipeline",
	"run_id", "listing_id", "title", "description", "category_raw", "category", "vendor", "price",
	"price_usd", "quantity", "unit", "ships_from", "ships_from_raw", "ships_to", "ships_to_raw",
	"payment_methods", "escrow", "crypto_addresses", "flags", "ships_to_excluded", "price_per_unit",
	"price_per_unit_usd", "prices", "price_max", "price_usd_basis", "price_usd_rate", "ships_to_basis",
	"ships_from_region", "listed_at", "listed_raw", "stock", "views", "sold", "product_class",
	"product_class_raw", "finalize_early", "escrow_known", "shipping_options", "vendor_rating",
	"vendor_sales", "vendor_level", "attributes",
	"vendor_feedback_percent",
}

func (d *scanner) listing(l *event.Listing) error {
	return d.object(listingKeys, func(key string) (int, error) {
		var err error
		switch key {
		case "schema":
			l.Schema, err = d.str()
			return 0, err
		case "event_id":
			l.EventID, err = d.str()
			return 1, err
		case "source":
			l.Source, err = d.str()
			return 2, err
		case "mirror":
			l.Mirror, err = d.str()
			return 3, err
		case "url":
			l.URL, err = d.str()
			return 4, err
		case "observed_at":
			l.ObservedAt, err = d.time()
			return 5, err
		case "capture_sha256":
			l.CaptureSHA256, err = d.str()
			return 6, err
		case "pipeline":
			l.Pipeline, err = d.str()
			return 7, err
		case "run_id":
			l.RunID, err = d.str()
			return 8, err
		case "listing_id":
			l.ListingID, err = d.str()
			return 9, err
		case "title":
			l.Title, err = d.str()
			return 10, err
		case "description":
			l.Description, err = d.str()
			return 11, err
		case "category_raw":
			l.CategoryRaw, err = d.str()
			return 12, err
		case "category":
			l.Category, err = d.str()
			return 13, err
		case "vendor":
			l.Vendor, err = d.str()
			return 14, err
		case "price":
			err = d.money(&l.Price)
			return 15, err
		case "price_usd":
			l.PriceUSD, err = d.num()
			return 16, err
		case "quantity":
			l.Quantity, err = d.num()
			return 17, err
		case "unit":
			l.Unit, err = d.str()
			return 18, err
		case "ships_from":
			l.ShipsFrom, err = d.str()
			return 19, err
		case "ships_from_raw":
			l.ShipsFromRaw, err = d.str()
			return 20, err
		case "ships_to":
			l.ShipsTo, err = d.strs()
			return 21, err
		case "ships_to_raw":
			l.ShipsToRaw, err = d.str()
			return 22, err
		case "payment_methods":
			l.PaymentMethods, err = d.strs()
			return 23, err
		case "escrow":
			l.Escrow, err = d.boolean()
			return 24, err
		case "crypto_addresses":
			l.Crypto, err = d.crypto()
			return 25, err
		case "flags":
			l.Flags, err = d.strs()
			return 26, err
		case "ships_to_excluded":
			l.ShipsToExcluded, err = d.strs()
			return 27, err
		case "price_per_unit":
			l.PricePerUnit, err = d.num()
			return 28, err
		case "price_per_unit_usd":
			l.PricePerUnitUSD, err = d.num()
			return 29, err
		case "prices":
			l.Prices, err = d.moneys()
			return 30, err
		case "price_max":
			l.PriceMax, err = d.num()
			return 31, err
		case "price_usd_basis":
			l.PriceUSDBasis, err = d.str()
			return 32, err
		case "price_usd_rate":
			l.PriceUSDRate, err = d.num()
			return 33, err
		case "ships_to_basis":
			l.ShipsToBasis, err = d.strs()
			return 34, err
		case "ships_from_region":
			l.ShipsFromRegion, err = d.str()
			return 35, err
		case "listed_at":
			l.ListedAt, err = d.time()
			return 36, err
		case "listed_raw":
			l.ListedRaw, err = d.str()
			return 37, err
		case "stock":
			l.Stock, err = d.intPtr()
			return 38, err
		case "views":
			l.Views, err = d.intPtr()
			return 39, err
		case "sold":
			l.Sold, err = d.intPtr()
			return 40, err
		case "product_class":
			l.ProductClass, err = d.str()
			return 41, err
		case "product_class_raw":
			l.ProductClassRaw, err = d.str()
			return 42, err
		case "finalize_early":
			l.FinalizeEarly, err = d.boolPtr()
			return 43, err
		case "escrow_known":
			l.EscrowKnown, err = d.boolean()
			return 44, err
		case "shipping_options":
			l.ShippingOptions, err = d.shippingOptions()
			return 45, err
		case "vendor_rating":
			l.VendorRating, err = d.numPtr()
			return 46, err
		case "vendor_sales":
			l.VendorSales, err = d.intPtr()
			return 47, err
		case "vendor_level":
			l.VendorLevel, err = d.str()
			return 48, err
		case "attributes":
			l.Attributes, err = d.attrs()
			return 49, err
		case "vendor_feedback_percent":
			l.VendorFeedbackPercent, err = d.numPtr()
			return 50, err
		}
		return -1, nil
	})
}

func (d *scanner) money(m *event.Money) error {
	return d.object(moneyKeys, func(key string) (int, error) {
		var err error
		switch key {
		case "amount":
			m.Amount, err = d.num()
			return 0, err
		case "currency":
			m.Currency, err = d.str()
			return 1, err
		case "raw":
			m.Raw, err = d.str()
			return 2, err
		}
		return -1, nil
	})
}

var (
	moneyKeys  = []string{"amount", "currency", "raw"}
	cryptoKeys = []string{"chain", "address"}
	optionKeys = []string{"method", "cost", "duration", "destinations", "raw"}
	attrKeys   = []string{"key", "type", "value"}
)

// array reads a JSON array, calling elem at each element.
func (d *scanner) array(elem func() error) error {
	if !d.consume('[') {
		return errFallback
	}
	if d.consume(']') {
		return nil
	}
	for {
		d.ws()
		if err := elem(); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			return nil
		}
		return errFallback
	}
}

func (d *scanner) crypto() ([]event.CryptoAddress, error) {
	var tmp [4]event.CryptoAddress
	out := tmp[:0]
	err := d.array(func() error {
		var c event.CryptoAddress
		err := d.object(cryptoKeys, func(key string) (int, error) {
			var err error
			switch key {
			case "chain":
				c.Chain, err = d.str()
				return 0, err
			case "address":
				c.Address, err = d.str()
				return 1, err
			}
			return -1, nil
		})
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.sc.crypto.copy(out), nil
}

func (d *scanner) moneys() ([]event.Money, error) {
	out := []event.Money{}
	err := d.array(func() error {
		var m event.Money
		err := d.money(&m)
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (d *scanner) shippingOptions() ([]event.ShippingOption, error) {
	out := []event.ShippingOption{}
	err := d.array(func() error {
		var o event.ShippingOption
		err := d.object(optionKeys, func(key string) (int, error) {
			var err error
			switch key {
			case "method":
				o.Method, err = d.str()
				return 0, err
			case "cost":
				err = d.money(&o.Cost)
				return 1, err
			case "duration":
				o.Duration, err = d.str()
				return 2, err
			case "destinations":
				o.Destinations, err = d.strs()
				return 3, err
			case "raw":
				o.Raw, err = d.str()
				return 4, err
			}
			return -1, nil
		})
		out = append(out, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (d *scanner) attrs() ([]event.Attr, error) {
	out := []event.Attr{}
	err := d.array(func() error {
		var a event.Attr
		err := d.object(attrKeys, func(key string) (int, error) {
			var err error
			switch key {
			case "key":
				a.Key, err = d.str()
				return 0, err
			case "type":
				a.Type, err = d.str()
				return 1, err
			case "value":
				a.Value, err = d.str()
				return 2, err
			}
			return -1, nil
		})
		out = append(out, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// intPtr reads a JSON integer into a new int64, as encoding/json does for
// a *int64 field: a fraction, an exponent or an overflow falls back (and
// encoding/json refuses them).
func (d *scanner) intPtr() (*int64, error) {
	start := d.i
	j := d.i
	if j < len(d.s) && d.s[j] == '-' {
		j++
	}
	digits := j
	for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
		j++
	}
	if j == digits || (d.s[digits] == '0' && j > digits+1) {
		return nil, errFallback
	}
	if j < len(d.s) && strings.IndexByte(".eE", d.s[j]) >= 0 {
		return nil, errFallback
	}
	n, err := strconv.ParseInt(d.s[start:j], 10, 64)
	if err != nil {
		return nil, errFallback
	}
	d.i = j
	return &n, nil
}

// numPtr reads a JSON number into a new float64 (a *float64 field).
func (d *scanner) numPtr() (*float64, error) {
	f, err := d.num()
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// boolPtr reads a JSON boolean into a new bool (a *bool field).
func (d *scanner) boolPtr() (*bool, error) {
	b, err := d.boolean()
	if err != nil {
		return nil, err
	}
	return &b, nil
}
