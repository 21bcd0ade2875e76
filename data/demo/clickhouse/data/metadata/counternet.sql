ATTACH DATABASE counternet
ENGINE = Ordinary
