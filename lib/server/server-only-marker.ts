// Stand-in for the `server-only` marker inside the server bundle, which never reaches a browser.
export {};
