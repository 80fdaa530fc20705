#compdef tts

autoload -U is-at-least

_tts() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_tts_commands" \
"*::: :->tts" \
&& ret=0
    case $state in
    (tts)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:tts-command-$line[1]:"
        case $line[1] in
            (say)
_arguments "${_arguments_options[@]}" : \
'*-f+[Read text from FILE ('\''-'\'' is stdin); repeatable]:FILE:_files' \
'*--file=[Read text from FILE ('\''-'\'' is stdin); repeatable]:FILE:_files' \
'(--device)-o+[Write audio to FILE instead of playing it ('\''-'\'' is stdout)]:FILE:_files' \
'(--device)--output=[Write audio to FILE instead of playing it ('\''-'\'' is stdout)]:FILE:_files' \
'--device=[Play on the output device NAME \[default\: the system default\]]:NAME:_default' \
'--idle-timeout=[Seconds of quiet input after which the service'\''s task is ended cleanly, above 0 and below 23 (the service fails a task after 23 s without a message); speech resumes in a new task \[default\: 15\]]:SECS:_default' \
'--flush-after=[Seconds of silence after which text without a sentence or clause end is spoken anyway, cut between words (and all of it once the input has been quiet that long) \[default\: 3\]]:SECS:_default' \
'-v+[Voice\: a CosyVoice voice \[default\: longanyang\], or for the offline engine a neural voice (en_US-joe-medium, NAME\:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 \[default\: by each sentence'\''s script and language\]]:VOICE:_default' \
'--voice=[Voice\: a CosyVoice voice \[default\: longanyang\], or for the offline engine a neural voice (en_US-joe-medium, NAME\:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 \[default\: by each sentence'\''s script and language\]]:VOICE:_default' \
'-r+[Speaking rate, 0.5 to 2.0 \[default\: 1.0\]]:X:_default' \
'--rate=[Speaking rate, 0.5 to 2.0 \[default\: 1.0\]]:X:_default' \
'--pitch=[Pitch, 0.5 to 2.0 \[default\: 1.0\] (not with a neural voice)]:X:_default' \
'--volume=[Volume, 0 to 100 \[default\: 50\]]:N:_default' \
'--format=[Output format \[say\: from the -o extension, wav for stdout, pcm from the service when playing; convert\: mp3\]]:FORMAT:((pcm\:"Raw signed 16-bit little-endian mono"
wav\:"WAV, 16-bit mono"
mp3\:"MP3"
opus\:"Ogg Opus"))' \
'--sample-rate=[Sample rate of the output file\: 8000, 16000, 22050, 24000, 44100 or 48000 \[default\: the engine'\''s\]]:HZ:_default' \
'-e+[Engine\: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine \[default\: auto\]]:ENGINE:((auto\:"CosyVoice when an API key is configured, else local"
local\:"Offline\: a neural voice for the text'\''s language when one is installed, else espeak-ng"
cosyvoice\:"The DashScope CosyVoice service"
qwen\:"DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)"
neural\:"Offline, a neural (Piper) voice only"
espeak\:"Offline, espeak-ng only"))' \
'--engine=[Engine\: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine \[default\: auto\]]:ENGINE:((auto\:"CosyVoice when an API key is configured, else local"
local\:"Offline\: a neural voice for the text'\''s language when one is installed, else espeak-ng"
cosyvoice\:"The DashScope CosyVoice service"
qwen\:"DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)"
neural\:"Offline, a neural (Piper) voice only"
espeak\:"Offline, espeak-ng only"))' \
'-p+[Use the settings of \[profile.NAME\] in the config file]:NAME:_default' \
'--profile=[Use the settings of \[profile.NAME\] in the config file]:NAME:_default' \
'--subtitles=[Write subtitles beside each audio file (FILE.srt or FILE.vtt)\: a cue per sentence]:FORMAT:((srt\:"SubRip (.srt)"
vtt\:"WebVTT (.vtt)"))' \
'-m+[Model \[default\: cosyvoice-v3-flash\]]:MODEL:_default' \
'--model=[Model \[default\: cosyvoice-v3-flash\]]:MODEL:_default' \
'--bit-rate=[Bit rate in kbps of an Opus file, 6 to 510 \[default\: 32\], or with the offline engine of an MP3 file, 8 to 320 \[default\: by sample rate\]]:KBPS:_default' \
'--seed=[Random seed, 0 to 65535 \[default\: 0\]]:N:_default' \
'--language=[Language of the text\: zh, en, fr, de, ja, ko, ru, pt, th, id or vi (Qwen\: auto, zh, en, de, it, pt, es, ja, ko, fr, ru)]:LANG:_default' \
'--instruction=[A style instruction\: 100 characters at most (CosyVoice v3 models), or 1600 for qwen3-tts-instruct-flash-realtime]:TEXT:_default' \
'--hot-fix=[Pronunciation and replacement tables, a JSON file\: {"pronunciation"\: \[{"草地"\: "cao3 di4"}\], "replace"\: \[{"草地"\: "草弟"}\]}]:FILE:_files' \
'--aigc-propagator=[AIGC propagator name]:NAME:_default' \
'--aigc-propagate-id=[AIGC propagation id]:ID:_default' \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[WebSocket URL of the service (ws\:// only on loopback) \[env\: DASHSCOPE_WEBSOCKET_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--connect-timeout=[Seconds to connect \[default\: 5\]]:SECS:_default' \
'--start-timeout=[Seconds for the service to start a task \[default\: 10\]]:SECS:_default' \
'--progress-timeout=[Seconds of silence from the service before giving up, once all text is sent \[default\: 60\]]:SECS:_default' \
'--qwen-mode=[Who starts speech\: commit (tts commits each sentence) or server-commit (the service decides) \[default\: commit\]]:MODE:((commit\:"One commit per sentence\: speech starts as each sentence is complete"
server-commit\:"The service decides when to speak what was appended"))' \
'--enable-tn=[Text normalisation (numbers, dates read out) on or off \[default\: the service'\''s\]]:BOOL:(true false)' \
'--append[Add to the end of the -o file instead of replacing it]' \
'--timing[Print when the engine was ready, the first audio played and the end, on stderr]' \
'--echo[Print each sentence on stdout as it starts playing]' \
'--flush-on-newline[End a sentence at every line break (log lines); by default a single line break is a space and a blank line ends what is buffered]' \
'--word-timestamps[Ask for word begin and end times]' \
'--phoneme-timestamps[Ask for phoneme times]' \
'--markdown-filter[Strip Markdown (#, *, code blocks, links) before speaking\: the service does it for CosyVoice, tts itself for the offline engine]' \
'--aigc-tag[Add the AIGC watermark tag]' \
'--force-voice[Send the voice even when the catalog says it does not serve the model (for a catalog that is behind the service)]' \
'--ssml[The text is SSML (one message; not with streaming stdin)]' \
'--optimize-instructions[Let the service refine --instruction (qwen3-tts-instruct-flash-realtime)]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::text -- The text to speak; with no TEXT and no --file, stdin is read as it arrives:_default' \
&& ret=0
;;
(convert)
_arguments "${_arguments_options[@]}" : \
'-d+[Write the audio files into DIR, made if missing \[default\: beside each input\]]:DIR:_files' \
'--out-dir=[Write the audio files into DIR, made if missing \[default\: beside each input\]]:DIR:_files' \
'-j+[Files converted at once, each job over one connection reused file after file \[default\: 4\]]:N:_default' \
'--jobs=[Files converted at once, each job over one connection reused file after file \[default\: 4\]]:N:_default' \
'-v+[Voice\: a CosyVoice voice \[default\: longanyang\], or for the offline engine a neural voice (en_US-joe-medium, NAME\:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 \[default\: by each sentence'\''s script and language\]]:VOICE:_default' \
'--voice=[Voice\: a CosyVoice voice \[default\: longanyang\], or for the offline engine a neural voice (en_US-joe-medium, NAME\:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 \[default\: by each sentence'\''s script and language\]]:VOICE:_default' \
'-r+[Speaking rate, 0.5 to 2.0 \[default\: 1.0\]]:X:_default' \
'--rate=[Speaking rate, 0.5 to 2.0 \[default\: 1.0\]]:X:_default' \
'--pitch=[Pitch, 0.5 to 2.0 \[default\: 1.0\] (not with a neural voice)]:X:_default' \
'--volume=[Volume, 0 to 100 \[default\: 50\]]:N:_default' \
'--format=[Output format \[say\: from the -o extension, wav for stdout, pcm from the service when playing; convert\: mp3\]]:FORMAT:((pcm\:"Raw signed 16-bit little-endian mono"
wav\:"WAV, 16-bit mono"
mp3\:"MP3"
opus\:"Ogg Opus"))' \
'--sample-rate=[Sample rate of the output file\: 8000, 16000, 22050, 24000, 44100 or 48000 \[default\: the engine'\''s\]]:HZ:_default' \
'-e+[Engine\: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine \[default\: auto\]]:ENGINE:((auto\:"CosyVoice when an API key is configured, else local"
local\:"Offline\: a neural voice for the text'\''s language when one is installed, else espeak-ng"
cosyvoice\:"The DashScope CosyVoice service"
qwen\:"DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)"
neural\:"Offline, a neural (Piper) voice only"
espeak\:"Offline, espeak-ng only"))' \
'--engine=[Engine\: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine \[default\: auto\]]:ENGINE:((auto\:"CosyVoice when an API key is configured, else local"
local\:"Offline\: a neural voice for the text'\''s language when one is installed, else espeak-ng"
cosyvoice\:"The DashScope CosyVoice service"
qwen\:"DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)"
neural\:"Offline, a neural (Piper) voice only"
espeak\:"Offline, espeak-ng only"))' \
'-p+[Use the settings of \[profile.NAME\] in the config file]:NAME:_default' \
'--profile=[Use the settings of \[profile.NAME\] in the config file]:NAME:_default' \
'--subtitles=[Write subtitles beside each audio file (FILE.srt or FILE.vtt)\: a cue per sentence]:FORMAT:((srt\:"SubRip (.srt)"
vtt\:"WebVTT (.vtt)"))' \
'-m+[Model \[default\: cosyvoice-v3-flash\]]:MODEL:_default' \
'--model=[Model \[default\: cosyvoice-v3-flash\]]:MODEL:_default' \
'--bit-rate=[Bit rate in kbps of an Opus file, 6 to 510 \[default\: 32\], or with the offline engine of an MP3 file, 8 to 320 \[default\: by sample rate\]]:KBPS:_default' \
'--seed=[Random seed, 0 to 65535 \[default\: 0\]]:N:_default' \
'--language=[Language of the text\: zh, en, fr, de, ja, ko, ru, pt, th, id or vi (Qwen\: auto, zh, en, de, it, pt, es, ja, ko, fr, ru)]:LANG:_default' \
'--instruction=[A style instruction\: 100 characters at most (CosyVoice v3 models), or 1600 for qwen3-tts-instruct-flash-realtime]:TEXT:_default' \
'--hot-fix=[Pronunciation and replacement tables, a JSON file\: {"pronunciation"\: \[{"草地"\: "cao3 di4"}\], "replace"\: \[{"草地"\: "草弟"}\]}]:FILE:_files' \
'--aigc-propagator=[AIGC propagator name]:NAME:_default' \
'--aigc-propagate-id=[AIGC propagation id]:ID:_default' \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[WebSocket URL of the service (ws\:// only on loopback) \[env\: DASHSCOPE_WEBSOCKET_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--connect-timeout=[Seconds to connect \[default\: 5\]]:SECS:_default' \
'--start-timeout=[Seconds for the service to start a task \[default\: 10\]]:SECS:_default' \
'--progress-timeout=[Seconds of silence from the service before giving up, once all text is sent \[default\: 60\]]:SECS:_default' \
'--qwen-mode=[Who starts speech\: commit (tts commits each sentence) or server-commit (the service decides) \[default\: commit\]]:MODE:((commit\:"One commit per sentence\: speech starts as each sentence is complete"
server-commit\:"The service decides when to speak what was appended"))' \
'--enable-tn=[Text normalisation (numbers, dates read out) on or off \[default\: the service'\''s\]]:BOOL:(true false)' \
'--force[Convert again even when an output is complete and newer than its input]' \
'--no-reuse[Open a new connection for every file (to measure what reuse saves)]' \
'-R[Also take the text files in each directory'\''s subdirectories (mirrored in -d DIR)]' \
'--recursive[Also take the text files in each directory'\''s subdirectories (mirrored in -d DIR)]' \
'--word-timestamps[Ask for word begin and end times]' \
'--phoneme-timestamps[Ask for phoneme times]' \
'--markdown-filter[Strip Markdown (#, *, code blocks, links) before speaking\: the service does it for CosyVoice, tts itself for the offline engine]' \
'--aigc-tag[Add the AIGC watermark tag]' \
'--force-voice[Send the voice even when the catalog says it does not serve the model (for a catalog that is behind the service)]' \
'--ssml[The text is SSML (one message; not with streaming stdin)]' \
'--optimize-instructions[Let the service refine --instruction (qwen3-tts-instruct-flash-realtime)]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::files -- Text or Markdown files, each converted to an audio file of the same name; a directory stands for its .txt, .md and .markdown files:_files' \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
'--listen=[Address and port to listen on (port 0 picks a free one)]:ADDR:PORT:_default' \
'--api-key=[Accept only this API key \[env\: TTS_SERVE_API_KEY\]; without one, any key is accepted, and only on a loopback address]:KEY:_default' \
'--client-timeout=[Seconds a client may stay silent during a task (the service'\''s rule is 23)]:SECS:_default' \
'--idle-timeout=[Seconds a connection with no task may stay silent before it is closed]:SECS:_default' \
'--max-connections=[Connections served at once; more are answered with HTTP 503]:N:_default' \
'--state-dir=[Keep custom voices in DIR \[default\: tts/serve under the user'\''s data directory\]]:DIR:_files' \
'--voice-quota=[Custom voices allowed per family (the service allows 1000)]:N:_default' \
'--upstream=[OpenAI speech API\: send requests for CosyVoice and Qwen models to the service (its endpoint, or URL), with the DashScope key found as \`tts say\` finds it]::URL:_default' \
'--max-input=[OpenAI speech API\: the longest input, in characters]:CHARS:_default' \
'--cors=[OpenAI speech API\: allow browser requests from ORIGIN (CORS is off without it)]:ORIGIN:_default' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(voices)
_arguments "${_arguments_options[@]}" : \
'-e+[Whose voices\: the service'\''s catalog (CosyVoice and Qwen; qwen alone lists qwen3-tts-flash-realtime'\''s) or the offline engine'\''s \[default\: cosyvoice\]]:ENGINE:((auto\:"CosyVoice when an API key is configured, else local"
local\:"Offline\: a neural voice for the text'\''s language when one is installed, else espeak-ng"
cosyvoice\:"The DashScope CosyVoice service"
qwen\:"DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)"
neural\:"Offline, a neural (Piper) voice only"
espeak\:"Offline, espeak-ng only"))' \
'--engine=[Whose voices\: the service'\''s catalog (CosyVoice and Qwen; qwen alone lists qwen3-tts-flash-realtime'\''s) or the offline engine'\''s \[default\: cosyvoice\]]:ENGINE:((auto\:"CosyVoice when an API key is configured, else local"
local\:"Offline\: a neural voice for the text'\''s language when one is installed, else espeak-ng"
cosyvoice\:"The DashScope CosyVoice service"
qwen\:"DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)"
neural\:"Offline, a neural (Piper) voice only"
espeak\:"Offline, espeak-ng only"))' \
'-m+[Only voices that work with MODEL (cosyvoice-v3-flash, ...)]:MODEL:_default' \
'--model=[Only voices that work with MODEL (cosyvoice-v3-flash, ...)]:MODEL:_default' \
'-l+[Only voices speaking LANG (a prefix\: zh, en, en-GB, ja, ...)]:LANG:_default' \
'--language=[Only voices speaking LANG (a prefix\: zh, en, en-GB, ja, ...)]:LANG:_default' \
'-g+[Only female or male voices]:GENDER:_default' \
'--gender=[Only female or male voices]:GENDER:_default' \
'-s+[Only voices whose id, name or description contains WORD]:WORD:_default' \
'--search=[Only voices whose id, name or description contains WORD]:WORD:_default' \
'--json[Print JSON instead of a table]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(devices)
_arguments "${_arguments_options[@]}" : \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':shell -- The shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(config)
_arguments "${_arguments_options[@]}" : \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':action -- What to show:((path\:"The file'\''s path (\$TTS_CONFIG, or the XDG config directory)"
show\:"Its settings and profiles, with the key hidden"))' \
&& ret=0
;;
(voice)
_arguments "${_arguments_options[@]}" : \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_tts__subcmd__voice_commands" \
"*::: :->voice" \
&& ret=0

    case $state in
    (voice)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:tts-voice-command-$line[1]:"
        case $line[1] in
            (clone)
_arguments "${_arguments_options[@]}" : \
'--name=[A name for the voice\: 1 to 10 lowercase letters and digits (CosyVoice), or up to 16 letters, digits and underscores (Qwen)]:PREFIX:_default' \
'-m+[The model the voice will speak with \[default\: cosyvoice-v3-plus\]]:TARGET_MODEL:_default' \
'--model=[The model the voice will speak with \[default\: cosyvoice-v3-plus\]]:TARGET_MODEL:_default' \
'--language=[The recording'\''s language (zh, en, fr, de, ja, ko, ru; Qwen also it, pt, es)]:LANG:_default' \
'--text=[What the recording says (Qwen only)]:TRANSCRIPT:_default' \
'--url=[A public URL of the recording instead of a local file (not checked here)]:URL:_default' \
'--wait=[Seconds to wait for the voice to be ready]:SECS:_default' \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[The service'\''s address\: https\://HOST, or http\://127.0.0.1\:PORT for tts serve (/api/v1 is added) \[env\: DASHSCOPE_HTTP_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--json[Print JSON for scripts]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::sample -- The recording\: one speaker, 10 to 20 s of clear speech (at most 60 s and 10 MB):_files' \
&& ret=0
;;
(design)
_arguments "${_arguments_options[@]}" : \
'--name=[A name for the voice (as for clone)]:PREFIX:_default' \
'-m+[The model the voice will speak with \[default\: cosyvoice-v3-plus\]]:TARGET_MODEL:_default' \
'--model=[The model the voice will speak with \[default\: cosyvoice-v3-plus\]]:TARGET_MODEL:_default' \
'--preview-text=[What the preview says (200 characters at most for CosyVoice) \[default\: a greeting\]]:TEXT:_default' \
'--language=[The preview'\''s language, zh or en \[default\: the description'\''s\]]:LANG:_default' \
'-o+[Write the preview to FILE (.wav or .mp3) instead of playing it]:FILE:_files' \
'--output=[Write the preview to FILE (.wav or .mp3) instead of playing it]:FILE:_files' \
'--wait=[Seconds to wait for the voice to be ready]:SECS:_default' \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[The service'\''s address\: https\://HOST, or http\://127.0.0.1\:PORT for tts serve (/api/v1 is added) \[env\: DASHSCOPE_HTTP_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--json[Print JSON for scripts]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':description -- The voice, in Chinese or English\: gender, age, pitch, pace, manner (500 characters at most for CosyVoice):_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'-m+[Only voices for MODEL]:MODEL:_default' \
'--model=[Only voices for MODEL]:MODEL:_default' \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[The service'\''s address\: https\://HOST, or http\://127.0.0.1\:PORT for tts serve (/api/v1 is added) \[env\: DASHSCOPE_HTTP_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--json[Print JSON for scripts]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[The service'\''s address\: https\://HOST, or http\://127.0.0.1\:PORT for tts serve (/api/v1 is added) \[env\: DASHSCOPE_HTTP_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--json[Print JSON for scripts]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':id -- The voice id:_default' \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[The service'\''s address\: https\://HOST, or http\://127.0.0.1\:PORT for tts serve (/api/v1 is added) \[env\: DASHSCOPE_HTTP_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'-y[Do not ask]' \
'--yes[Do not ask]' \
'--json[Print JSON for scripts]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':id -- The voice id:_default' \
&& ret=0
;;
(update)
_arguments "${_arguments_options[@]}" : \
'--url=[A public URL of the recording instead (not checked here)]:URL:_default' \
'--wait=[Seconds to wait for the voice to be ready]:SECS:_default' \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[The service'\''s address\: https\://HOST, or http\://127.0.0.1\:PORT for tts serve (/api/v1 is added) \[env\: DASHSCOPE_HTTP_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--json[Print JSON for scripts]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':id -- The CosyVoice voice id:_default' \
'::sample -- The new recording:_files' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_tts__subcmd__voice__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:tts-voice-help-command-$line[1]:"
        case $line[1] in
            (clone)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(design)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(update)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(token)
_arguments "${_arguments_options[@]}" : \
'--ttl=[Seconds the token works, 1 to 1800]:SECONDS:_default' \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[The service'\''s address\: https\://HOST, or http\://127.0.0.1\:PORT for tts serve (/api/v1 is added) \[env\: DASHSCOPE_HTTP_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--json[Print JSON for scripts]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(chat)
_arguments "${_arguments_options[@]}" : \
'*-f+[Read text from FILE ('\''-'\'' is stdin); repeatable]:FILE:_files' \
'*--file=[Read text from FILE ('\''-'\'' is stdin); repeatable]:FILE:_files' \
'(--device)-o+[Write audio to FILE instead of playing it ('\''-'\'' is stdout)]:FILE:_files' \
'(--device)--output=[Write audio to FILE instead of playing it ('\''-'\'' is stdout)]:FILE:_files' \
'--device=[Play on the output device NAME \[default\: the system default\]]:NAME:_default' \
'--idle-timeout=[Seconds of quiet input after which the service'\''s task is ended cleanly, above 0 and below 23 (the service fails a task after 23 s without a message); speech resumes in a new task \[default\: 15\]]:SECS:_default' \
'--flush-after=[Seconds of silence after which text without a sentence or clause end is spoken anyway, cut between words (and all of it once the input has been quiet that long) \[default\: 3\]]:SECS:_default' \
'-v+[Voice\: a CosyVoice voice \[default\: longanyang\], or for the offline engine a neural voice (en_US-joe-medium, NAME\:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 \[default\: by each sentence'\''s script and language\]]:VOICE:_default' \
'--voice=[Voice\: a CosyVoice voice \[default\: longanyang\], or for the offline engine a neural voice (en_US-joe-medium, NAME\:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 \[default\: by each sentence'\''s script and language\]]:VOICE:_default' \
'-r+[Speaking rate, 0.5 to 2.0 \[default\: 1.0\]]:X:_default' \
'--rate=[Speaking rate, 0.5 to 2.0 \[default\: 1.0\]]:X:_default' \
'--pitch=[Pitch, 0.5 to 2.0 \[default\: 1.0\] (not with a neural voice)]:X:_default' \
'--volume=[Volume, 0 to 100 \[default\: 50\]]:N:_default' \
'--format=[Output format \[say\: from the -o extension, wav for stdout, pcm from the service when playing; convert\: mp3\]]:FORMAT:((pcm\:"Raw signed 16-bit little-endian mono"
wav\:"WAV, 16-bit mono"
mp3\:"MP3"
opus\:"Ogg Opus"))' \
'--sample-rate=[Sample rate of the output file\: 8000, 16000, 22050, 24000, 44100 or 48000 \[default\: the engine'\''s\]]:HZ:_default' \
'-e+[Engine\: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine \[default\: auto\]]:ENGINE:((auto\:"CosyVoice when an API key is configured, else local"
local\:"Offline\: a neural voice for the text'\''s language when one is installed, else espeak-ng"
cosyvoice\:"The DashScope CosyVoice service"
qwen\:"DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)"
neural\:"Offline, a neural (Piper) voice only"
espeak\:"Offline, espeak-ng only"))' \
'--engine=[Engine\: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen realtime model), else the offline engine \[default\: auto\]]:ENGINE:((auto\:"CosyVoice when an API key is configured, else local"
local\:"Offline\: a neural voice for the text'\''s language when one is installed, else espeak-ng"
cosyvoice\:"The DashScope CosyVoice service"
qwen\:"DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model)"
neural\:"Offline, a neural (Piper) voice only"
espeak\:"Offline, espeak-ng only"))' \
'-p+[Use the settings of \[profile.NAME\] in the config file]:NAME:_default' \
'--profile=[Use the settings of \[profile.NAME\] in the config file]:NAME:_default' \
'--subtitles=[Write subtitles beside each audio file (FILE.srt or FILE.vtt)\: a cue per sentence]:FORMAT:((srt\:"SubRip (.srt)"
vtt\:"WebVTT (.vtt)"))' \
'-m+[Model \[default\: cosyvoice-v3-flash\]]:MODEL:_default' \
'--model=[Model \[default\: cosyvoice-v3-flash\]]:MODEL:_default' \
'--bit-rate=[Bit rate in kbps of an Opus file, 6 to 510 \[default\: 32\], or with the offline engine of an MP3 file, 8 to 320 \[default\: by sample rate\]]:KBPS:_default' \
'--seed=[Random seed, 0 to 65535 \[default\: 0\]]:N:_default' \
'--language=[Language of the text\: zh, en, fr, de, ja, ko, ru, pt, th, id or vi (Qwen\: auto, zh, en, de, it, pt, es, ja, ko, fr, ru)]:LANG:_default' \
'--instruction=[A style instruction\: 100 characters at most (CosyVoice v3 models), or 1600 for qwen3-tts-instruct-flash-realtime]:TEXT:_default' \
'--hot-fix=[Pronunciation and replacement tables, a JSON file\: {"pronunciation"\: \[{"草地"\: "cao3 di4"}\], "replace"\: \[{"草地"\: "草弟"}\]}]:FILE:_files' \
'--aigc-propagator=[AIGC propagator name]:NAME:_default' \
'--aigc-propagate-id=[AIGC propagation id]:ID:_default' \
'--region=[Service region \[default\: intl\]]:REGION:((intl\:"International (Singapore)\: dashscope-intl.aliyuncs.com"
cn\:"Mainland China (Beijing)\: dashscope.aliyuncs.com"))' \
'--endpoint=[WebSocket URL of the service (ws\:// only on loopback) \[env\: DASHSCOPE_WEBSOCKET_BASE_URL\]]:URL:_default' \
'--workspace=[DashScope workspace id \[env\: DASHSCOPE_WORKSPACE_ID\]]:ID:_default' \
'--connect-timeout=[Seconds to connect \[default\: 5\]]:SECS:_default' \
'--start-timeout=[Seconds for the service to start a task \[default\: 10\]]:SECS:_default' \
'--progress-timeout=[Seconds of silence from the service before giving up, once all text is sent \[default\: 60\]]:SECS:_default' \
'--qwen-mode=[Who starts speech\: commit (tts commits each sentence) or server-commit (the service decides) \[default\: commit\]]:MODE:((commit\:"One commit per sentence\: speech starts as each sentence is complete"
server-commit\:"The service decides when to speak what was appended"))' \
'--enable-tn=[Text normalisation (numbers, dates read out) on or off \[default\: the service'\''s\]]:BOOL:(true false)' \
'--llm-model=[The chat model \[default\: qwen3.5-flash\]]:MODEL:_default' \
'--system=[A system message that opens the conversation]:TEXT:_default' \
'--llm-endpoint=[An OpenAI-compatible API base (…/v1) \[default\: the service'\''s compatible-mode endpoint of the region, with the DashScope key\]]:URL:_default' \
'--llm-key=[The key for --llm-endpoint \[default\: OPENAI_API_KEY\]]:KEY:_default' \
'--stall-timeout=[Seconds the answer may pause before it is given up as stalled \[default\: 30\]]:SECS:_default' \
'--append[Add to the end of the -o file instead of replacing it]' \
'--timing[Print when the engine was ready, the first audio played and the end, on stderr]' \
'--echo[Print each sentence on stdout as it starts playing]' \
'--flush-on-newline[End a sentence at every line break (log lines); by default a single line break is a space and a blank line ends what is buffered]' \
'--word-timestamps[Ask for word begin and end times]' \
'--phoneme-timestamps[Ask for phoneme times]' \
'--markdown-filter[Strip Markdown (#, *, code blocks, links) before speaking\: the service does it for CosyVoice, tts itself for the offline engine]' \
'--aigc-tag[Add the AIGC watermark tag]' \
'--force-voice[Send the voice even when the catalog says it does not serve the model (for a catalog that is behind the service)]' \
'--ssml[The text is SSML (one message; not with streaming stdin)]' \
'--optimize-instructions[Let the service refine --instruction (qwen3-tts-instruct-flash-realtime)]' \
'--show-thinking[Print the model'\''s reasoning, dimmed (it is never spoken)]' \
'--no-markdown-filter[Speak Markdown symbols as they are (by default they are filtered and code blocks announced, not read)]' \
'(--verbose)-q[Print only errors\: no notices or progress]' \
'(--verbose)--quiet[Print only errors\: no notices or progress]' \
'--verbose[Print what happens at each stage (device, timings, underruns)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::text -- The prompt; with none, a conversation on a terminal, else the prompt is read from stdin:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_tts__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:tts-help-command-$line[1]:"
        case $line[1] in
            (say)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(convert)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(voices)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(devices)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(config)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(voice)
_arguments "${_arguments_options[@]}" : \
":: :_tts__subcmd__help__subcmd__voice_commands" \
"*::: :->voice" \
&& ret=0

    case $state in
    (voice)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:tts-help-voice-command-$line[1]:"
        case $line[1] in
            (clone)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(design)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(update)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(token)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(chat)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_tts_commands] )) ||
_tts_commands() {
    local commands; commands=(
'say:Speak text from arguments, files or stdin' \
'convert:Convert text files to audio files, several at once, with progress' \
'serve:Serve the CosyVoice and Qwen-TTS-Realtime WebSocket protocols, spoken by the offline engine' \
'voices:List voices\: the service'\''s catalog, or the offline engine'\''s' \
'devices:List audio output devices; --device takes a name or a number from this list' \
'completions:Print the completion script for a shell' \
'man:Print the manual page (roff)' \
'config:Show the config file'\''s path or its settings (never the key)' \
'voice:Your own voices\: clone one from a recording or design one from a description; list, show, update and delete them' \
'token:Print a temporary API token for another app; it works wherever a key does' \
'chat:Ask a chat model and hear its answer as it is written; no prompt on a terminal starts a conversation' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'tts commands' commands "$@"
}
(( $+functions[_tts__subcmd__chat_commands] )) ||
_tts__subcmd__chat_commands() {
    local commands; commands=()
    _describe -t commands 'tts chat commands' commands "$@"
}
(( $+functions[_tts__subcmd__completions_commands] )) ||
_tts__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'tts completions commands' commands "$@"
}
(( $+functions[_tts__subcmd__config_commands] )) ||
_tts__subcmd__config_commands() {
    local commands; commands=()
    _describe -t commands 'tts config commands' commands "$@"
}
(( $+functions[_tts__subcmd__convert_commands] )) ||
_tts__subcmd__convert_commands() {
    local commands; commands=()
    _describe -t commands 'tts convert commands' commands "$@"
}
(( $+functions[_tts__subcmd__devices_commands] )) ||
_tts__subcmd__devices_commands() {
    local commands; commands=()
    _describe -t commands 'tts devices commands' commands "$@"
}
(( $+functions[_tts__subcmd__help_commands] )) ||
_tts__subcmd__help_commands() {
    local commands; commands=(
'say:Speak text from arguments, files or stdin' \
'convert:Convert text files to audio files, several at once, with progress' \
'serve:Serve the CosyVoice and Qwen-TTS-Realtime WebSocket protocols, spoken by the offline engine' \
'voices:List voices\: the service'\''s catalog, or the offline engine'\''s' \
'devices:List audio output devices; --device takes a name or a number from this list' \
'completions:Print the completion script for a shell' \
'man:Print the manual page (roff)' \
'config:Show the config file'\''s path or its settings (never the key)' \
'voice:Your own voices\: clone one from a recording or design one from a description; list, show, update and delete them' \
'token:Print a temporary API token for another app; it works wherever a key does' \
'chat:Ask a chat model and hear its answer as it is written; no prompt on a terminal starts a conversation' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'tts help commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__chat_commands] )) ||
_tts__subcmd__help__subcmd__chat_commands() {
    local commands; commands=()
    _describe -t commands 'tts help chat commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__completions_commands] )) ||
_tts__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'tts help completions commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__config_commands] )) ||
_tts__subcmd__help__subcmd__config_commands() {
    local commands; commands=()
    _describe -t commands 'tts help config commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__convert_commands] )) ||
_tts__subcmd__help__subcmd__convert_commands() {
    local commands; commands=()
    _describe -t commands 'tts help convert commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__devices_commands] )) ||
_tts__subcmd__help__subcmd__devices_commands() {
    local commands; commands=()
    _describe -t commands 'tts help devices commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__help_commands] )) ||
_tts__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'tts help help commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__man_commands] )) ||
_tts__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'tts help man commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__say_commands] )) ||
_tts__subcmd__help__subcmd__say_commands() {
    local commands; commands=()
    _describe -t commands 'tts help say commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__serve_commands] )) ||
_tts__subcmd__help__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'tts help serve commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__token_commands] )) ||
_tts__subcmd__help__subcmd__token_commands() {
    local commands; commands=()
    _describe -t commands 'tts help token commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__voice_commands] )) ||
_tts__subcmd__help__subcmd__voice_commands() {
    local commands; commands=(
'clone:Clone a voice from a recording of 10 to 20 s (WAV 16-bit, MP3 or M4A; checked first)' \
'design:Design a voice from a description, and hear its preview' \
'list:List your voices, CosyVoice and Qwen, with their target models and status' \
'show:Show one voice' \
'delete:Delete one voice (asks first on a terminal)' \
'update:Make a CosyVoice clone again from another recording' \
    )
    _describe -t commands 'tts help voice commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__voice__subcmd__clone_commands] )) ||
_tts__subcmd__help__subcmd__voice__subcmd__clone_commands() {
    local commands; commands=()
    _describe -t commands 'tts help voice clone commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__voice__subcmd__delete_commands] )) ||
_tts__subcmd__help__subcmd__voice__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'tts help voice delete commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__voice__subcmd__design_commands] )) ||
_tts__subcmd__help__subcmd__voice__subcmd__design_commands() {
    local commands; commands=()
    _describe -t commands 'tts help voice design commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__voice__subcmd__list_commands] )) ||
_tts__subcmd__help__subcmd__voice__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'tts help voice list commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__voice__subcmd__show_commands] )) ||
_tts__subcmd__help__subcmd__voice__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'tts help voice show commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__voice__subcmd__update_commands] )) ||
_tts__subcmd__help__subcmd__voice__subcmd__update_commands() {
    local commands; commands=()
    _describe -t commands 'tts help voice update commands' commands "$@"
}
(( $+functions[_tts__subcmd__help__subcmd__voices_commands] )) ||
_tts__subcmd__help__subcmd__voices_commands() {
    local commands; commands=()
    _describe -t commands 'tts help voices commands' commands "$@"
}
(( $+functions[_tts__subcmd__man_commands] )) ||
_tts__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'tts man commands' commands "$@"
}
(( $+functions[_tts__subcmd__say_commands] )) ||
_tts__subcmd__say_commands() {
    local commands; commands=()
    _describe -t commands 'tts say commands' commands "$@"
}
(( $+functions[_tts__subcmd__serve_commands] )) ||
_tts__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'tts serve commands' commands "$@"
}
(( $+functions[_tts__subcmd__token_commands] )) ||
_tts__subcmd__token_commands() {
    local commands; commands=()
    _describe -t commands 'tts token commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice_commands] )) ||
_tts__subcmd__voice_commands() {
    local commands; commands=(
'clone:Clone a voice from a recording of 10 to 20 s (WAV 16-bit, MP3 or M4A; checked first)' \
'design:Design a voice from a description, and hear its preview' \
'list:List your voices, CosyVoice and Qwen, with their target models and status' \
'show:Show one voice' \
'delete:Delete one voice (asks first on a terminal)' \
'update:Make a CosyVoice clone again from another recording' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'tts voice commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__clone_commands] )) ||
_tts__subcmd__voice__subcmd__clone_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice clone commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__delete_commands] )) ||
_tts__subcmd__voice__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice delete commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__design_commands] )) ||
_tts__subcmd__voice__subcmd__design_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice design commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__help_commands] )) ||
_tts__subcmd__voice__subcmd__help_commands() {
    local commands; commands=(
'clone:Clone a voice from a recording of 10 to 20 s (WAV 16-bit, MP3 or M4A; checked first)' \
'design:Design a voice from a description, and hear its preview' \
'list:List your voices, CosyVoice and Qwen, with their target models and status' \
'show:Show one voice' \
'delete:Delete one voice (asks first on a terminal)' \
'update:Make a CosyVoice clone again from another recording' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'tts voice help commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__help__subcmd__clone_commands] )) ||
_tts__subcmd__voice__subcmd__help__subcmd__clone_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice help clone commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__help__subcmd__delete_commands] )) ||
_tts__subcmd__voice__subcmd__help__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice help delete commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__help__subcmd__design_commands] )) ||
_tts__subcmd__voice__subcmd__help__subcmd__design_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice help design commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__help__subcmd__help_commands] )) ||
_tts__subcmd__voice__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice help help commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__help__subcmd__list_commands] )) ||
_tts__subcmd__voice__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice help list commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__help__subcmd__show_commands] )) ||
_tts__subcmd__voice__subcmd__help__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice help show commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__help__subcmd__update_commands] )) ||
_tts__subcmd__voice__subcmd__help__subcmd__update_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice help update commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__list_commands] )) ||
_tts__subcmd__voice__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice list commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__show_commands] )) ||
_tts__subcmd__voice__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice show commands' commands "$@"
}
(( $+functions[_tts__subcmd__voice__subcmd__update_commands] )) ||
_tts__subcmd__voice__subcmd__update_commands() {
    local commands; commands=()
    _describe -t commands 'tts voice update commands' commands "$@"
}
(( $+functions[_tts__subcmd__voices_commands] )) ||
_tts__subcmd__voices_commands() {
    local commands; commands=()
    _describe -t commands 'tts voices commands' commands "$@"
}

if [ "$funcstack[1]" = "_tts" ]; then
    _tts "$@"
else
    compdef _tts tts
fi
