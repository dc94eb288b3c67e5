"""The coalition's own translations: reviewers edit a catalog message in the console, the
suite's checks (`messages.quality`) accept it, and once marked reviewed it is stored here and
the bot says it at once, in every process (`live`), until it goes upstream as a `.po` file
(`pofile`). `reviews` holds the services."""
