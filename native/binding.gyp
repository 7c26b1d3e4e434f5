{
  "targets": [
    {
      "target_name": "l2tp_native",
      "sources": ["addon.c", "tun.c", "fdpoll.c", "udp.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
