// Package web drives the collector's web application in a real browser
// (Debian's chromium, headless, through chromedp): a family registers with
// an invitation, adds a person with a photo and downloads the card; the
// card's PDF is rasterised and its QR shown to a simulated kiosk enrolled
// at the same collector; an office checks a document and prints a sheet.
// Screenshots of each page go to $SCANGATE_ARTIFACTS/web (else a
// temporary directory).
package web
