#!/bin/sh
# loudspeaker.sh DIR: a fenghuod [hook] for a village loudspeaker system (村村响).
#
# Reads the message fenghuod writes on standard input (format = json: one JSON object,
# docs/CONFIG.md, Hooks), and speaks it with espeak-ng in Mandarin into DIR/ID.wav, where
# the loudspeaker system's player picks it up: "演练" first for a drill, then the level, the
# title and the text. The text never passes through a shell or an argument list: python3
# writes it to a file and espeak-ng reads that file. The WAV file appears whole (written
# beside it, then renamed), and a second run for the same message replaces it.
#
#   [hook loudspeaker]
#   on = warning
#   command = /usr/local/lib/fenghuo/hooks/loudspeaker.sh /var/spool/fenghuo/audio
#   min_level = orange
#   timeout = 120
#
# Needs python3 and espeak-ng (Debian: apt-get install espeak-ng). Exits non-zero when
# anything fails, so that fenghuod tries again later.
set -eu
dir=${1:?usage: loudspeaker.sh DIR}
[ -d "$dir" ] || { echo "loudspeaker.sh: $dir is not a directory" >&2; exit 2; }
tmp=$(mktemp -d "$dir/.speak.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The words to say, and the message id (checked: it names the file).
python3 -c '
import json, re, sys
m = json.load(sys.stdin)
if not re.fullmatch(r"[0-9a-f]{64}", m.get("id", "")):
    sys.exit("loudspeaker.sh: no message id")
levels = {"blue": "蓝色预警", "yellow": "黄色预警", "orange": "橙色预警", "red": "红色预警"}
marks = {"exercise": "演练。", "test": "测试。", "system": "系统消息。", "draft": "草稿。"}
words = [marks.get(m.get("status"), "")]
if m.get("msg_type") == "cancel":
    words.append("预警解除。")
elif m.get("level") in levels:
    words.append(levels[m["level"]] + "。")
words += [m.get("title", ""), "。", m.get("text", ""), "。", m.get("instruction", "")]
open(sys.argv[1], "w", encoding="utf-8").write("".join(words))
open(sys.argv[2], "w").write(m["id"])
' "$tmp/text" "$tmp/id"
id=$(cat "$tmp/id")
espeak-ng -v cmn -w "$tmp/speech.wav" -f "$tmp/text"
mv "$tmp/speech.wav" "$dir/$id.wav"
