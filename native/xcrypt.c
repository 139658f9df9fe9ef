/*
 * crypt(phrase, setting): libxcrypt's crypt_rn for the families no npm package implements
 * (yescrypt $y$, GOST yescrypt $gy$). Synchronous on purpose: lib/passwords calls it only from
 * its worker threads, never on the event loop. Returns the full hash string, or null when
 * libxcrypt refuses the setting or the phrase (longer than CRYPT_MAX_PASSPHRASE_SIZE, or holding
 * a NUL byte, which crypt would silently truncate at).
 */
#include <crypt.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

static napi_value null_value(napi_env env) {
  napi_value result;
  napi_get_null(env, &result);
  return result;
}

static napi_value crypt_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "crypt(phrase: Buffer, setting: string)");
    return NULL;
  }

  void *phrase_bytes;
  size_t phrase_length;
  if (napi_get_buffer_info(env, argv[0], &phrase_bytes, &phrase_length) != napi_ok) {
    napi_throw_type_error(env, NULL, "phrase must be a Buffer");
    return NULL;
  }
  char setting[CRYPT_OUTPUT_SIZE];
  size_t setting_length;
  if (napi_get_value_string_latin1(env, argv[1], setting, sizeof setting, &setting_length) != napi_ok) {
    napi_throw_type_error(env, NULL, "setting must be a string");
    return NULL;
  }
  if (setting_length >= sizeof setting - 1 || phrase_length >= CRYPT_MAX_PASSPHRASE_SIZE ||
      memchr(phrase_bytes, 0, phrase_length) != NULL) {
    return null_value(env);
  }

  char *phrase = malloc(phrase_length + 1);
  struct crypt_data *data = calloc(1, sizeof *data);
  napi_value result = NULL;
  if (phrase && data) {
    memcpy(phrase, phrase_bytes, phrase_length);
    phrase[phrase_length] = '\0';
    const char *hash = crypt_rn(phrase, setting, data, (int)sizeof *data);
    /* crypt_rn marks failure with NULL or a string starting with '*'. */
    if (hash && hash[0] != '*') napi_create_string_latin1(env, hash, NAPI_AUTO_LENGTH, &result);
    explicit_bzero(phrase, phrase_length);
    explicit_bzero(data, sizeof *data);
  }
  free(phrase);
  free(data);
  return result ? result : null_value(env);
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "crypt", NAPI_AUTO_LENGTH, crypt_js, NULL, &fn);
  napi_set_named_property(env, exports, "crypt", fn);
  return exports;
}
