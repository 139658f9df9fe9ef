{
  "targets": [
    {
      "target_name": "xcrypt",
      "sources": ["native/xcrypt.c"],
      "libraries": ["-lcrypt"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
