module example.com/shop

go 1.22

require (
	github.com/gorilla/mux v1.8.0
	github.com/rs/zerolog v1.30.0
	golang.org/x/crypto v0.14.0
	golang.org/x/net v0.17.0
	github.com/example/forked v1.2.0
)

require (
	github.com/mattn/go-colorable v0.1.13 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	golang.org/x/sys v0.15.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)

replace github.com/example/forked => ../forked
