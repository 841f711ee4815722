package web

import (
	"fmt"
	"strings"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
)

// Locale is a language the pages are written in.
type Locale struct {
	Code string // "en", "ja": the URL prefix and <html lang>
	Name string // the language's own name, for the switcher
}

// Locales are the UI languages, in the switcher's order; the first is the default.
var Locales = []Locale{{"en", "English"}, {"ja", "日本語"}, {"zh", "简体中文"}}

// messages holds every UI string, by locale then key. A test checks that
// every locale has every key.
var messages = map[string]map[string]string{
	"en": {
		"own.title":          "Trace your own asyncio program",
		"own.intro":          "This server was started with --allow-own-code, so it runs programs typed here, on this machine only. Paste an asyncio program and run it: each task gets a lane.",
		"own.label":          "Your program (Python, asyncio, standard library only)",
		"own.running":        "Running… (up to 20 s)",
		"own.empty":          "Type or paste a program first.",
		"own.toolong":        "The program is longer than %d KiB.",
		"own.output":         "What it printed",
		"error.toomany":      "Too many requests from your address. Wait a few seconds and try again.",
		"run.said":           "main printed last",
		"export.recorded":    "Recorded when this site was exported: Python on the tracer's virtual clock, Go on the real clock. Step through it with the player.",
		"export.live":        "Run it live",
		"export.clock":       "recorded · Python virtual clock, Go real clock",
		"export.preset":      "Recording",
		"run.queued":         "The server is busy: your run is number %d in line and starts as soon as a slot is free.",
		"overlay.cap":        "cap",
		"overlay.peak":       "at most",
		"nav.projector":      "Projector",
		"overlay.held":       "Permits or locks held",
		"overlay.queue":      "Queue depth",
		"overlay.deadline":   "deadline at",
		"overlay.blocked":    "loop blocked",
		"overlay.blocked.go": "blocking call (only this goroutine waits)",
		"run.clock.replay":   "replay of a real-clock run",
		"run.link":           "Link to this run",
		"run.table":          "Events as a table",
		"run.again":          "Run again with the same parameters",
		"run.expired":        "This run is no longer kept on the server (only the latest runs are). You can run it again with the same parameters.",
		"player.label":       "Replay",
		"player.prev":        "Previous event",
		"player.next":        "Next event",
		"player.play":        "Play",
		"player.pause":       "Pause",
		"player.scrub":       "Time in the run",
		"player.speed":       "Speed",
		"player.at":          "%s: %s on %s",
		"table.time":         "Time (s)",
		"table.runtime":      "Runtime",
		"table.lane":         "Lane",
		"table.what":         "What happened",
		"table.line":         "Line",
		"announce.started":   "Run started.",
		"announce.finished":  "Run finished.",
		"site.name":          "asyncplay",
		"site.tagline":       "See what concurrent Python really does, next to the same program in Go.",
		"nav.home":           "Lessons",
		"nav.language":       "Language",
		"nav.prev":           "Previous",
		"nav.next":           "Next",
		"nav.seealso":        "See also",
		"home.visited":       "visited",
		"home.progress":      "Lessons you have opened are marked; the mark is kept in this browser only.",
		"home.title":         "Learn asyncio by watching it run",
		"home.intro":         "Each lesson runs a small asyncio program in CPython and the same program in Go, live on this server, and draws every task as a lane on one clock.",
		"group.basics":       "Basics",
		"group.many":         "Waiting for many",
		"group.limits":       "Limits and coordination",
		"group.blocking":     "Blocking and CPU",
		"group.together":     "Putting it together",
		"lesson.number":      "Lesson %d",
		"code.python":        "Python (asyncio)",
		"code.go":            "Go",
		"params.title":       "Parameters",
		"params.run":         "Run",
		"params.fix":         "Fix the values marked below, then press Run.",
		"problem.number":     "Enter a whole number (got “%v”).",
		"problem.range":      "Must be between %v and %v.",
		"problem.list":       "Entry %v is not a number of seconds between %v and %v.",
		"problem.count":      "This list needs %v values, one for each; %v given.",
		"problem.long":       "Too long: at most %v characters.",
		"run.idle":           "Press Run to start both programs at once. Their events stream here as they happen.",
		"run.connecting":     "Starting both runtimes…",
		"run.clock.live":     "live, real clock",
		"run.clock.done":     "finished, real clock",
		"run.readout":        "%d busy / %d waiting",
		"run.python":         "CPython",
		"run.go":             "Go",
		"run.running":        "running",
		"run.starting":       "starting…",
		"run.finished":       "finished",
		"run.failed":         "stopped with an error",
		"run.nopython":       "Python 3.11 or later is not installed on this server, so only the Go side runs. (Server operators: install python3 3.11+.)",
		"run.lanes":          "Tasks",
		"run.connections":    "Connections",
		"run.connection":     "Connection",
		"run.text":           "As text",
		"run.total":          "Total time",
		"run.most":           "Most at once",
		"run.events":         "Events",
		"run.seconds":        "%.2f s",
		"legend.run":         "running",
		"legend.io":          "sleeping or waiting on I/O",
		"legend.wait":        "waiting for a permit or other resource",
		"legend.join":        "awaiting other tasks",
		"legend.end":         "ended",
		"state.run":          "running",
		"state.io":           "sleeping / I/O",
		"state.wait":         "waiting for %s",
		"state.join":         "awaiting %s",
		"state.semaphore":    "a permit",
		"error.title":        "Something went wrong",
		"error.nopage":       "Page not found",
		"error.notfound":     "There is no such page.",
		"error.badrequest":   "That request could not be understood.",
		"error.forbidden":    "The server refused this request: it did not come from one of this site's own pages.",
		"error.toolarge":     "That request is too large for the server to take.",
		"own.forbidden":      "Programs run only from this page, opened on this machine (localhost or 127.0.0.1).",
		"error.internal":     "The server hit an error. It has been logged; please try again.",
		"error.back":         "Back to the lessons",
		"ws.closed":          "The connection closed before the run finished.",
	},
	"ja": {
		"own.title":          "自分の asyncio プログラムをトレースする",
		"own.intro":          "このサーバーは --allow-own-code 付きで起動しているので、ここに入力したプログラムをこのマシン上でだけ実行します。asyncio のプログラムを貼り付けて実行すると、タスクごとにレーンができます。",
		"own.label":          "あなたのプログラム(Python、asyncio、標準ライブラリのみ)",
		"own.running":        "実行中…(最大 20 秒)",
		"own.empty":          "まずプログラムを入力するか貼り付けてください。",
		"own.toolong":        "プログラムが %d KiB を超えています。",
		"own.output":         "出力",
		"error.toomany":      "このアドレスからのリクエストが多すぎます。数秒待ってからもう一度お試しください。",
		"run.said":           "main の最後の出力",
		"export.recorded":    "このサイトを書き出したときに記録した実行です(Python はトレーサーの仮想時計、Go は実時間)。プレーヤーで一歩ずつ確認できます。",
		"export.live":        "ライブで実行する",
		"export.clock":       "記録 · Python は仮想時計、Go は実時間",
		"export.preset":      "記録",
		"run.queued":         "サーバーが混み合っています。あなたの実行は %d 番目で、空きができしだい始まります。",
		"overlay.cap":        "上限",
		"overlay.peak":       "最大",
		"nav.projector":      "プロジェクター表示",
		"overlay.held":       "保持中の許可証・ロック",
		"overlay.queue":      "キューの長さ",
		"overlay.deadline":   "期限",
		"overlay.blocked":    "ループ停止",
		"overlay.blocked.go": "ブロッキング呼び出し(待つのはこのゴルーチンだけ)",
		"run.clock.replay":   "実時間で記録した実行の再生",
		"run.link":           "この実行へのリンク",
		"run.table":          "イベントを表で見る",
		"run.again":          "同じパラメーターでもう一度実行",
		"run.expired":        "この実行はもうサーバーに保存されていません(保存されるのは最近の実行だけです)。同じパラメーターでもう一度実行できます。",
		"player.label":       "再生",
		"player.prev":        "前のイベント",
		"player.next":        "次のイベント",
		"player.play":        "再生",
		"player.pause":       "一時停止",
		"player.scrub":       "実行中の時刻",
		"player.speed":       "速度",
		"player.at":          "%s:%s(%s)",
		"table.time":         "時刻(秒)",
		"table.runtime":      "ランタイム",
		"table.lane":         "レーン",
		"table.what":         "起きたこと",
		"table.line":         "行",
		"announce.started":   "実行が始まりました。",
		"announce.finished":  "実行が終わりました。",
		"site.name":          "asyncplay",
		"site.tagline":       "並行な Python が実際に何をしているかを、同じ Go のプログラムと並べて見る。",
		"nav.home":           "レッスン",
		"nav.language":       "言語",
		"nav.prev":           "前へ",
		"nav.next":           "次へ",
		"nav.seealso":        "関連レッスン",
		"home.visited":       "既読",
		"home.progress":      "開いたレッスンには印が付きます。印はこのブラウザーにだけ保存されます。",
		"home.title":         "動くところを見て asyncio を学ぶ",
		"home.intro":         "各レッスンでは、小さな asyncio プログラムを CPython で、同じプログラムを Go で、このサーバー上で実際に動かし、すべてのタスクを1本の時計の上のレーンとして描きます。",
		"group.basics":       "基本",
		"group.many":         "たくさんを待つ",
		"group.limits":       "制限と協調",
		"group.blocking":     "ブロッキングと CPU",
		"group.together":     "組み合わせる",
		"lesson.number":      "レッスン %d",
		"code.python":        "Python (asyncio)",
		"code.go":            "Go",
		"params.title":       "パラメーター",
		"params.run":         "実行",
		"params.fix":         "印の付いた値を直してから、「実行」を押してください。",
		"problem.number":     "整数を入力してください(入力:「%v」)。",
		"problem.range":      "%v から %v の間で指定してください。",
		"problem.list":       "%v 番目の値が %v〜%v 秒の数ではありません。",
		"problem.count":      "このリストには値が %v 個必要です(1件に1つ)。入力は %v 個です。",
		"problem.long":       "長すぎます。%v 文字以内で入力してください。",
		"run.idle":           "「実行」を押すと2つのプログラムが同時に始まり、イベントが起きるたびにここへ届きます。",
		"run.connecting":     "両方のランタイムを起動しています…",
		"run.clock.live":     "実行中・実時間",
		"run.clock.done":     "完了・実時間",
		"run.readout":        "%d 件実行中 / %d 件待機中",
		"run.python":         "CPython",
		"run.go":             "Go",
		"run.running":        "実行中",
		"run.starting":       "起動中…",
		"run.finished":       "完了",
		"run.failed":         "エラーで停止",
		"run.nopython":       "このサーバーには Python 3.11 以降が入っていないため、Go 側だけを実行します。(サーバー管理者の方へ:python3 3.11 以降をインストールしてください。)",
		"run.lanes":          "タスク",
		"run.connections":    "接続",
		"run.connection":     "接続",
		"run.text":           "テキストで見る",
		"run.total":          "合計時間",
		"run.most":           "最大同時数",
		"run.events":         "イベント数",
		"run.seconds":        "%.2f 秒",
		"legend.run":         "実行中",
		"legend.io":          "sleep または I/O 待ち",
		"legend.wait":        "許可証などの資源を待機中",
		"legend.join":        "ほかのタスクを待機中",
		"legend.end":         "終了",
		"state.run":          "実行中",
		"state.io":           "sleep / I/O",
		"state.wait":         "%s を待機中",
		"state.join":         "%s を待機中",
		"state.semaphore":    "許可証",
		"error.title":        "問題が発生しました",
		"error.nopage":       "ページが見つかりません",
		"error.notfound":     "そのページはありません。",
		"error.badrequest":   "リクエストを理解できませんでした。",
		"error.forbidden":    "このサイトのページから送られたリクエストではないため、サーバーが断りました。",
		"error.toolarge":     "リクエストが大きすぎるため、サーバーが受け付けませんでした。",
		"own.forbidden":      "プログラムは、このマシン上で開いたこのページ(localhost または 127.0.0.1)からだけ実行できます。",
		"error.internal":     "サーバーでエラーが起きました。記録済みです。もう一度お試しください。",
		"error.back":         "レッスン一覧へ戻る",
		"ws.closed":          "実行が終わる前に接続が切れました。",
	},
	"zh": {
		"own.title":          "追踪你自己的 asyncio 程序",
		"own.intro":          "这台服务器以 --allow-own-code 启动，所以会在本机运行这里输入的程序。粘贴一个 asyncio 程序并运行：每个任务都有一条泳道。",
		"own.label":          "你的程序（Python、asyncio，仅限标准库）",
		"own.running":        "运行中…（最多 20 秒）",
		"own.empty":          "请先输入或粘贴一个程序。",
		"own.toolong":        "程序超过了 %d KiB。",
		"own.output":         "打印输出",
		"error.toomany":      "来自你的地址的请求太多了。请等几秒再试。",
		"run.said":           "main 最后的输出",
		"export.recorded":    "这是导出本站时记录的运行（Python 用追踪器的虚拟时钟，Go 用真实时钟）。可以用播放器逐步查看。",
		"export.live":        "实时运行",
		"export.clock":       "已记录 · Python 虚拟时钟，Go 真实时钟",
		"export.preset":      "记录",
		"run.queued":         "服务器正忙：你的运行排在第 %d 位，一有空位就会开始。",
		"overlay.cap":        "上限",
		"overlay.peak":       "最多",
		"nav.projector":      "投影模式",
		"overlay.held":       "持有中的许可或锁",
		"overlay.queue":      "队列长度",
		"overlay.deadline":   "截止于",
		"overlay.blocked":    "事件循环被阻塞",
		"overlay.blocked.go": "阻塞调用（只有这个 goroutine 在等）",
		"run.clock.replay":   "回放（按真实时钟记录）",
		"run.link":           "这次运行的链接",
		"run.table":          "以表格查看事件",
		"run.again":          "用同样的参数再运行一次",
		"run.expired":        "服务器上已不再保存这次运行（只保存最近的运行）。可以用同样的参数再运行一次。",
		"player.label":       "回放",
		"player.prev":        "上一个事件",
		"player.next":        "下一个事件",
		"player.play":        "播放",
		"player.pause":       "暂停",
		"player.scrub":       "运行中的时间",
		"player.speed":       "速度",
		"player.at":          "%s:%s(%s)",
		"table.time":         "时间（秒）",
		"table.runtime":      "运行时",
		"table.lane":         "泳道",
		"table.what":         "发生了什么",
		"table.line":         "行",
		"announce.started":   "运行开始了。",
		"announce.finished":  "运行结束了。",
		"site.name":          "asyncplay",
		"site.tagline":       "看清并发的 Python 实际在做什么，并与同样的 Go 程序并排对照。",
		"nav.home":           "课程",
		"nav.language":       "语言",
		"nav.prev":           "上一课",
		"nav.next":           "下一课",
		"nav.seealso":        "相关课程",
		"home.visited":       "已看过",
		"home.progress":      "打开过的课程会被标记；标记只保存在这个浏览器里。",
		"home.title":         "看着它运行，学会 asyncio",
		"home.intro":         "每节课都在这台服务器上真实运行一个小的 asyncio 程序（CPython）和同样的 Go 程序，并把每个任务画成同一时钟上的一条泳道。",
		"group.basics":       "基础",
		"group.many":         "等待多个任务",
		"group.limits":       "限制与协调",
		"group.blocking":     "阻塞与 CPU",
		"group.together":     "综合运用",
		"lesson.number":      "第 %d 课",
		"code.python":        "Python (asyncio)",
		"code.go":            "Go",
		"params.title":       "参数",
		"params.run":         "运行",
		"params.fix":         "请修正下面标出的值，然后按“运行”。",
		"problem.number":     "请输入整数（输入的是“%v”）。",
		"problem.range":      "必须在 %v 到 %v 之间。",
		"problem.list":       "第 %v 项不是 %v 到 %v 之间的秒数。",
		"problem.count":      "这个列表需要 %v 个值（每项一个），实际给了 %v 个。",
		"problem.long":       "太长了：最多 %v 个字符。",
		"run.idle":           "按下“运行”后两个程序同时开始，事件一发生就会传到这里。",
		"run.connecting":     "正在启动两个运行时…",
		"run.clock.live":     "运行中 · 真实时钟",
		"run.clock.done":     "已完成 · 真实时钟",
		"run.readout":        "%d 个忙碌 / %d 个等待",
		"run.python":         "CPython",
		"run.go":             "Go",
		"run.running":        "运行中",
		"run.starting":       "启动中…",
		"run.finished":       "已完成",
		"run.failed":         "因错误停止",
		"run.nopython":       "这台服务器没有安装 Python 3.11 或更高版本，所以只运行 Go 这一侧。（服务器管理员：请安装 python3 3.11+。）",
		"run.lanes":          "任务",
		"run.connections":    "连接",
		"run.connection":     "连接",
		"run.text":           "以文本查看",
		"run.total":          "总时间",
		"run.most":           "最多同时",
		"run.events":         "事件数",
		"run.seconds":        "%.2f 秒",
		"legend.run":         "运行中",
		"legend.io":          "sleep 或等待 I/O",
		"legend.wait":        "等待许可或其他资源",
		"legend.join":        "等待其他任务",
		"legend.end":         "已结束",
		"state.run":          "运行中",
		"state.io":           "sleep / I/O",
		"state.wait":         "等待 %s",
		"state.join":         "等待 %s",
		"state.semaphore":    "许可",
		"error.title":        "出了点问题",
		"error.nopage":       "找不到页面",
		"error.notfound":     "没有这个页面。",
		"error.badrequest":   "无法理解这个请求。",
		"error.forbidden":    "这个请求不是来自本站的页面，服务器拒绝了它。",
		"error.toolarge":     "这个请求太大了，服务器无法接收。",
		"own.forbidden":      "只能从在本机打开的这个页面（localhost 或 127.0.0.1）运行程序。",
		"error.internal":     "服务器出错了，已记录下来；请再试一次。",
		"error.back":         "返回课程列表",
		"ws.closed":          "运行结束前连接断开了。",
	},
}

// T returns the UI string key in lang, formatted with args. A missing key
// shows as the key itself in brackets, so a test can find it.
func T(lang, key string, args ...any) string {
	m, ok := messages[lang]
	if !ok {
		m = messages[Locales[0].Code]
	}
	s, ok := m[key]
	if !ok {
		if cm, found := classMessages[lang]; found {
			s, ok = cm[key]
		}
	}
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// ProblemText is a refused parameter's message in lang.
func ProblemText(lang string, p scenario.Problem) string {
	return T(lang, "problem."+p.Code, p.Args...)
}

// HasLocale reports whether code is one of Locales.
func HasLocale(code string) bool {
	for _, l := range Locales {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Negotiate picks the UI locale for an Accept-Language header.
func Negotiate(accept string) string {
	best, bestQ := Locales[0].Code, -1.0
	for _, part := range strings.Split(accept, ",") {
		tag, q := strings.TrimSpace(part), 1.0
		if i := strings.Index(tag, ";"); i >= 0 {
			var v float64
			if _, err := fmt.Sscanf(strings.TrimSpace(tag[i+1:]), "q=%g", &v); err == nil {
				q = v
			}
			tag = strings.TrimSpace(tag[:i])
		}
		base := strings.ToLower(tag)
		if i := strings.IndexAny(base, "-_"); i >= 0 {
			base = base[:i]
		}
		if HasLocale(base) && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}
