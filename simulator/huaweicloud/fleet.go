package huaweicloud

// This file is the simulated fleet: one generated inventory of desktops
// that every endpoint serves, so that counts agree across endpoints, and
// its evolution step by step. The desktop object it serves is desktops.go's.

import (
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Documented values of the desktop state fields (API reference §4.3.8).
const (
	statusActive     = "ACTIVE"
	statusShutoff    = "SHUTOFF"
	statusHibernated = "HIBERNATED"
	statusError      = "ERROR"

	loginUnregister   = "UNREGISTER"
	loginRegistered   = "REGISTERED"
	loginConnected    = "CONNECTED"
	loginDisconnected = "DISCONNECTED"

	attachAttached   = "ATTACHED"
	attachUnattach   = "UNATTACH"
	attachDeattached = "DEATTACHED"
	attachAttaching  = "ATTACHING"
	attachFail       = "ATTACHFAIL"

	taskScheduling   = "scheduling"
	taskPoweringOn   = "powering-on"
	taskPoweringOff  = "powering-off"
	taskDeleting     = "deleting"
	taskDeleteFailed = "deleteFailed"

	timeLayout = "2006-01-02T15:04:05.000Z"

	nullProcess = math.MinInt32 // record.process when the API shows null
)

// taskDef describes one of the 25 documented task_status values as a step
// of an operation: a task lasts steps ticks (at least one), then either the
// next task of the operation starts or the operation completes.
type taskDef struct {
	next    string
	steps   int8
	relogin bool // completing the operation resets the session (power, reboot, rebuild, create)
}

var taskDefs = map[string]taskDef{
	"scheduling":                   {next: "block_device_mapping"},
	"block_device_mapping":         {next: "networking"},
	"networking":                   {next: "spawning"},
	"spawning":                     {relogin: true},
	"reboot_pending":               {next: "reboot_started"},
	"reboot_started":               {next: "rebooting"},
	"rebooting":                    {relogin: true},
	"reboot_pending_hard":          {next: "reboot_started_hard"},
	"reboot_started_hard":          {next: "rebooting_hard"},
	"rebooting_hard":               {relogin: true},
	"rebuilding":                   {next: "rebuild_block_device_mapping"},
	"rebuild_block_device_mapping": {next: "rebuild_spawning"},
	"rebuild_spawning":             {relogin: true},
	"migrating":                    {steps: 3},
	"resize_prep":                  {next: "resize_migrating"},
	"resize_migrating":             {next: "resize_migrated", steps: 2},
	"resize_migrated":              {next: "resize_finish"},
	"resize_finish":                {relogin: true},
	"resize_reverting":             {},
	"powering-off":                 {relogin: true},
	"powering-on":                  {relogin: true},
	"deleting":                     {},
	"deleteFailed":                 {},
	"updating":                     {steps: 2},
	"desktopNetworkChanging":       {},
}

// taskStart is a task a desktop can be found in when the fleet is
// generated, with the status the operation leaves behind ("" keeps it).
type taskStart struct{ task, final string }

var initialTasks = map[string][]taskStart{
	statusActive: {
		{taskPoweringOff, statusShutoff}, {taskPoweringOff, statusShutoff}, {taskPoweringOff, statusHibernated},
		{"reboot_pending", statusActive}, {"reboot_started", statusActive}, {"rebooting", statusActive},
		{"reboot_pending_hard", statusActive}, {"reboot_started_hard", statusActive},
		{"rebuilding", statusActive}, {"rebuild_block_device_mapping", statusActive}, {"rebuild_spawning", statusActive},
		{"migrating", ""}, {"resize_prep", ""}, {"resize_migrating", ""}, {"resize_migrated", ""},
		{"resize_finish", ""}, {"resize_reverting", ""}, {"updating", ""}, {"desktopNetworkChanging", ""},
	},
	statusShutoff: {
		{taskPoweringOn, statusActive}, {taskPoweringOn, statusActive}, {taskScheduling, statusActive},
		{"block_device_mapping", statusActive}, {"networking", statusActive}, {"spawning", statusActive},
		{taskDeleting, ""},
	},
	statusHibernated: {{taskPoweringOn, statusActive}},
	statusError:      {{taskDeleteFailed, ""}, {taskDeleting, ""}, {"rebooting_hard", statusActive}},
}

// Per-step event probabilities for a desktop without a task. They keep the
// status mix near 71% ACTIVE, 20% SHUTOFF, 7% HIBERNATED, 1.5% ERROR:
// in equilibrium ACTIVE·rate(out) = other·rate(back).
const (
	pPowerOff    = 0.004  // ACTIVE → SHUTOFF
	pHibernate   = 0.001  // ACTIVE → HIBERNATED
	pFail        = 0.0003 // ACTIVE → ERROR
	pReboot      = 0.001
	pMaintenance = 0.0005 // updating, migration, resize, network change
	pPowerOn     = 0.014  // SHUTOFF → ACTIVE
	pWake        = 0.01   // HIBERNATED → ACTIVE
	pRecover     = 0.014  // ERROR → ACTIVE (hard reboot)
	pDeleteError = 0.002  // ERROR desktops that get deleted instead
	pRetryDelete = 0.2    // deleteFailed → deleting
	pDeleteFails = 0.1    // a deletion ends in deleteFailed
	pChurn       = 0.0004 // desktops created, and deleted, per desktop per step
	pMaintOn     = 0.0001 // in_maintenance_mode off → on
	pMaintOff    = 0.02   // and back
	pEIP         = 0.0005 // an EIP starts being bound (is_attaching_eip for one step)
	pAttachRetry = 0.05   // ATTACHFAIL → ATTACHING
	pooledShare  = 0.15
)

type product struct {
	id, flavor, pkg        string
	diskGB                 int
	diskType               string
	gpu                    bool
	cpuS, memS, diskS, des string // the string forms the API uses
}

type image struct {
	name, id, osType, version, specSuffix string
	linux                                 bool
}

type zone struct {
	index                     int
	name, subnetID, networkID string
	base                      uint32 // first address of the subnet
}

type department struct {
	index                 int
	code, kind, tag, epID string
	weight                int
	products              []*product
	productWeights        []int
	linuxShare            float64
}

type pool struct {
	index                  int
	id, name, prefix       string
	product                *product
	image                  *image
	zone                   *zone
	weight                 int
	userShare, periodShare float64
}

func newProduct(id, flavor, pkg string, cpu, memGB, diskGB int, diskType string, gpu bool) *product {
	edition := string(pkg[0]-'a'+'A') + pkg[1:]
	return &product{
		id: id, flavor: flavor, pkg: pkg, diskGB: diskGB, diskType: diskType, gpu: gpu,
		cpuS: strconv.Itoa(cpu), memS: strconv.Itoa(memGB * 1024), diskS: strconv.Itoa(diskGB),
		des: edition + " | " + strconv.Itoa(cpu) + " vCPUs | " + strconv.Itoa(memGB) + " GB memory",
	}
}

var (
	prodGeneralL  = newProduct("workspace.x86.general.large2", "s6.large.2", "general", 2, 4, 80, "SAS", false)
	prodGeneralXL = newProduct("workspace.x86.general.xlarge2", "s6.xlarge.2", "general", 4, 8, 80, "SAS", false)
	prodEntXL     = newProduct("workspace.x86.enterprise.xlarge4", "c7.xlarge.4", "enterprise", 4, 16, 80, "SAS", false)
	prodUltL      = newProduct("workspace.x86.ultimate.large4", "c7.large.4", "ultimate", 2, 8, 80, "SSD", false)
	prodUlt2XL    = newProduct("workspace.x86.ultimate.2xlarge4", "c7.2xlarge.4", "ultimate", 8, 32, 100, "SSD", false)
	prodWks4XL    = newProduct("workspace.x86.workstation.4xlarge4", "g6.4xlarge.4", "workstation", 16, 64, 150, "SSD", true)

	imgWin10  = &image{name: "WKS_WIN10_64_ENT_22H2", id: "cc3bbc0b-9441-461b-b80b-48c52f3aed08", osType: "Windows", version: "Version22H2(OS Build 19045.5011)", specSuffix: ".win"}
	imgWin11  = &image{name: "WKS_WIN11_64_ENT_23H2", id: "5b1f1c9e-2f0a-4c52-9d51-7a3e8e0c6b14", osType: "Windows", version: "Version23H2(OS Build 22631.4317)", specSuffix: ".win"}
	imgWin22  = &image{name: "WKS_WINSRV2022_DC_64", id: "0f4a8d9e-61c3-4be2-a1f7-3c9d2e5b8a70", osType: "Windows", version: "Version21H2(OS Build 20348.2762)", specSuffix: ".win"}
	imgUbuntu = &image{name: "WKS_UBUNTU_2204_64", id: "9e6d2c41-7b3a-4f85-b0d2-1a6c4e9f3d27", osType: "Linux", version: "Ubuntu 22.04.4 LTS", specSuffix: ".linux", linux: true}
	imgUOS    = &image{name: "WKS_UOS_20_PRO_64", id: "d47e1b3a-5c9f-42d8-8e6b-f02a7c5d1e93", osType: "Linux", version: "UnionTech OS Desktop 20 Professional", specSuffix: ".linux", linux: true}

	windowsImages = []*image{imgWin10, imgWin11, imgWin22}
	windowsWeight = []int{55, 40, 5}
	linuxImages   = []*image{imgUbuntu, imgUOS}
	linuxWeight   = []int{80, 20}

	zones = []*zone{
		{0, "ap-southeast-3a", "c7f30df4-f3ac-4807-9599-18950b05455f", "3596ca3f-0ea0-48ff-8010-3c87e72d9726", 172<<24 | 16<<16},
		{1, "ap-southeast-3b", "8a2d4e61-0b7c-4f3e-9d15-6e2c1a9b7f40", "016842ec-3d5e-41bd-8ef6-6b34acbec67e", 172<<24 | 17<<16},
		{2, "ap-southeast-3c", "e51b9c07-4d2a-48f6-a3e8-9c7d0f2b6a15", "7d3c9a52-e18f-4b06-92ad-5f4e8b1c0d69", 172<<24 | 18<<16},
	}
	zoneWeights = []int{45, 35, 20}

	departments = []*department{
		{0, "FIN", "VDI", "finance", "2f6c1e8a-9b4d-4a37-8e15-c0d97a3b6f21", 12, []*product{prodGeneralXL, prodEntXL}, []int{70, 30}, 0},
		{1, "HR", "VDI", "hr", "0", 6, []*product{prodGeneralL, prodGeneralXL}, []int{60, 40}, 0},
		{2, "ENG", "DEV", "engineering", "0", 25, []*product{prodUltL, prodUlt2XL, prodEntXL}, []int{40, 45, 15}, 0.4},
		{3, "SAL", "LAP", "sales", "0", 15, []*product{prodGeneralL, prodGeneralXL}, []int{50, 50}, 0},
		{4, "MKT", "VDI", "marketing", "0", 8, []*product{prodEntXL, prodGeneralXL}, []int{60, 40}, 0},
		{5, "OPS", "VDI", "operations", "0", 10, []*product{prodGeneralXL, prodUltL}, []int{70, 30}, 0.3},
		{6, "LEG", "VDI", "legal", "2f6c1e8a-9b4d-4a37-8e15-c0d97a3b6f21", 4, []*product{prodGeneralL}, []int{100}, 0},
		{7, "DES", "WKS", "design", "0", 6, []*product{prodWks4XL, prodUlt2XL}, []int{70, 30}, 0.1},
		{8, "SUP", "VDI", "support", "0", 14, []*product{prodGeneralL, prodGeneralXL}, []int{80, 20}, 0},
	}
	departmentWeights = weightsOf(departments, func(d *department) int { return d.weight })

	pools = []*pool{
		{0, "7a1e5c3b-2d94-4f60-8b17-e3c9a0d58f42", "callcenter-pool", "CALL", prodGeneralL, imgWin10, zones[0], 45, 0.7, 0.2},
		{1, "b4d8f2a6-13e7-4c95-a0b2-6f5e9c3d7a18", "training-pool", "TRN", prodGeneralXL, imgWin11, zones[1], 25, 0.4, 0},
		{2, "3e9c7b15-8a2f-4d6e-b5c1-0d4f7a9e2b63", "contractor-pool", "CTR", prodEntXL, imgWin11, zones[2], 20, 0.8, 0.5},
		{3, "f0a6d3e9-5b71-4c28-9e4a-2c8b1d7f6e05", "linux-lab-pool", "LAB", prodUltL, imgUbuntu, zones[0], 10, 0.5, 0},
	}
	poolWeights = weightsOf(pools, func(p *pool) int { return p.weight })

	dataDiskSizes = []int{50, 100, 100, 200}
)

const (
	securityGroupID   = "4d8e2f6a-9c1b-4a73-b5e0-1f7c3d9a8e26"
	securityGroupName = "WorkspaceUserSG"
	siteName          = "Huawei Cloud Central Site"
	productResource   = "hws.resource.type.workspace.desktop"
	cloudServiceType  = "hws.service.type.vdi"
)

func weightsOf[T any](xs []T, w func(T) int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = w(x)
	}
	return out
}

// pick returns an index drawn with the given integer weights.
func pick(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

var (
	initials = "abcdefghijklmnopqrstuvwxyz"
	surnames = []string{
		"chen", "garcia", "smith", "johnson", "williams", "brown", "jones", "miller", "davis", "rodriguez",
		"martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson",
		"martin", "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis",
		"robinson", "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill",
		"flores", "green", "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter",
		"roberts", "wang", "li", "zhang", "liu", "yang", "huang", "zhao", "wu", "zhou",
		"xu", "sun", "ma", "zhu", "hu", "guo", "he", "lin", "tan", "lim",
		"ng", "ong", "goh", "teo", "koh", "kumar", "singh", "sharma", "patel", "gupta",
		"khan", "ali", "ahmed", "silva", "santos", "oliveira", "costa", "pereira", "mueller", "schmidt",
		"schneider", "fischer", "weber", "meyer", "wagner", "becker", "rossi", "russo", "ferrari", "kim",
		"park", "choi", "jung", "kang", "cho", "yoon", "tanaka", "suzuki", "sato", "watanabe",
	}
)

// userName returns the n-th user name: jchen, mgarcia, …; after every
// initial/surname pair is used once, the pairs repeat with a number suffix.
func userName(n int) string {
	block := len(initials) * len(surnames)
	j := (n % block) * 1009 % block // 1009 is prime and does not divide block: a permutation
	s := initials[j%len(initials):j%len(initials)+1] + surnames[j/len(initials)]
	if round := n / block; round > 0 {
		s += strconv.Itoa(round + 1)
	}
	return s
}

func computerName(prefix, kind string, n int) string {
	b := make([]byte, 0, 16)
	b = append(b, prefix...)
	b = append(b, '-')
	if kind != "" {
		b = append(b, kind...)
		b = append(b, '-')
	}
	num := strconv.Itoa(n)
	for i := len(num); i < 4; i++ {
		b = append(b, '0')
	}
	b = append(b, num...)
	return string(b)
}

// record is the simulator's compact form of one desktop. Generated desktops
// keep only what varies and point at shared tables; the full Desktop is
// built on demand by view. Desktops installed with SetDesktops keep their
// Desktop in custom. Either way the state fields below are authoritative.
type record struct {
	status, task, login, attach string
	final                       string // status the running operation leaves behind; "" keeps it
	process                     int32  // task progress 0..100, nullProcess for null
	steps                       int8   // ticks left in the current task
	maintenance, attachingEIP   bool

	id, name, user, userGroup string
	created                   int64  // Unix milliseconds
	ip                        uint32 // fixed IPv4 address
	hash                      uint64 // source of the derived identifiers
	dataGB                    int32  // 0: no data disk
	period                    bool   // yearly/monthly billing (charging_mode "1")
	internet                  uint8
	dept                      *department // nil for pooled desktops
	pool                      *pool       // nil for dedicated desktops
	product                   *product
	image                     *image
	zone                      *zone

	custom *Desktop
}

const (
	internetNone = iota
	internetNAT
	internetEIP
)

// fleet is the simulated inventory, the one state of the simulated tenant.
// It is not safe for concurrent use; the Server's fleet lock serialises
// access (read for Serve, write for Step).
type fleet struct {
	rng     *rand.Rand
	recs    []*record // creation order
	epoch   int64     // Unix ms; the initial fleet was created before it
	deptSeq []int     // last computer-name number per department
	poolSeq []int
	userSeq int
	ipSeq   []uint32 // hosts handed out per zone
	// logins are the login records the sessions leave (logins.go); it
	// draws on its own random source, never on rng.
	logins *loginStore
}

func newFleet(seed int64, n int, now time.Time) *fleet {
	f := &fleet{
		rng:     rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		epoch:   now.UTC().Truncate(24 * time.Hour).UnixMilli(),
		deptSeq: make([]int, len(departments)),
		poolSeq: make([]int, len(pools)),
		ipSeq:   make([]uint32, len(zones)),
	}
	slab := make([]record, n)
	f.recs = make([]*record, n)
	// Spread creation over 1,000 days before the epoch, in list order.
	const span = int64(1000 * 24 * time.Hour / time.Millisecond)
	start := f.epoch - span
	for i := range slab {
		r := &slab[i]
		created := start + span*int64(i)/int64(max(n, 1))
		f.generate(r, created+f.rng.Int64N(span/int64(max(n, 1))+1))
		f.initialState(r)
		f.recs[i] = r
	}
	f.logins = newLoginStore(seed, f.recs, now)
	return f
}

// generate fills the identity of a new desktop.
func (f *fleet) generate(r *record, created int64) {
	rng := f.rng
	r.hash = rng.Uint64()
	r.id = uuidString(rng.Uint64(), rng.Uint64())
	r.created = created
	r.process = nullProcess
	var hasUser bool
	if rng.Float64() < pooledShare {
		p := pools[pick(rng, poolWeights)]
		r.pool, r.product, r.image, r.zone = p, p.product, p.image, p.zone
		f.poolSeq[p.index]++
		r.name = computerName(p.prefix, "P", f.poolSeq[p.index])
		hasUser = rng.Float64() < p.userShare
		r.period = rng.Float64() < p.periodShare
	} else {
		d := departments[pick(rng, departmentWeights)]
		r.dept = d
		r.product = d.products[pick(rng, d.productWeights)]
		if rng.Float64() < d.linuxShare {
			r.image = linuxImages[pick(rng, linuxWeight)]
		} else {
			r.image = windowsImages[pick(rng, windowsWeight)]
		}
		r.zone = zones[pick(rng, zoneWeights)]
		f.deptSeq[d.index]++
		r.name = computerName(d.code, d.kind, f.deptSeq[d.index])
		hasUser = rng.Float64() < 0.96
		r.period = rng.Float64() < 0.6
	}
	if hasUser {
		r.user = userName(f.userSeq)
		f.userSeq++
		admin := rng.Float64() < 0.3
		switch {
		case r.image.linux && admin:
			r.userGroup = "sudo"
		case r.image.linux:
			r.userGroup = "default"
		case admin:
			r.userGroup = "administrators"
		default:
			r.userGroup = "users"
		}
		r.attach = attachAttached
	} else {
		r.attach = attachUnattach
	}
	r.ip = r.zone.base + 10 + f.ipSeq[r.zone.index]%65000
	f.ipSeq[r.zone.index]++
	switch u := rng.Float64(); {
	case u < 0.55:
		r.internet = internetNAT
	case u < 0.65:
		r.internet = internetEIP
	}
	if rng.Float64() < 0.6 {
		r.dataGB = int32(dataDiskSizes[rng.IntN(len(dataDiskSizes))])
	}
}

// initialState gives a generated desktop its state in the initial fleet.
func (f *fleet) initialState(r *record) {
	rng := f.rng
	switch u := rng.Float64(); {
	case u < 0.20:
		r.status = statusShutoff
	case u < 0.27:
		r.status = statusHibernated
	case u < 0.285:
		r.status = statusError
	default:
		r.status = statusActive
	}
	r.login = loginUnregister
	if r.status == statusActive {
		v := rng.Float64()
		switch {
		case r.user == "" && v < 0.95, r.user != "" && v < 0.36:
			r.login = loginRegistered
		case r.user != "" && v < 0.88:
			r.login = loginConnected
		case r.user != "" && v < 0.97:
			r.login = loginDisconnected
		}
	}
	switch v := rng.Float64(); {
	case r.user != "" && v < 0.003:
		r.attach = attachAttaching
	case r.user != "" && v < 0.005:
		r.attach = attachFail
	case r.user == "" && v < 0.02:
		r.attach = attachDeattached
	}
	if rng.Float64() < 0.005 {
		r.maintenance = true
	}
	if rng.Float64() < 0.02 {
		choices := initialTasks[r.status]
		t := choices[rng.IntN(len(choices))]
		r.task, r.final = t.task, t.final
		if r.task == taskDeleteFailed {
			r.process = nullProcess
		} else {
			r.steps = int8(1 + rng.IntN(int(taskSteps(r.task))))
			r.process = int32(rng.IntN(90))
		}
	}
}

func taskSteps(task string) int8 {
	if s := taskDefs[task].steps; s > 0 {
		return s
	}
	return 1
}

// step advances the fleet one tick: running tasks progress or complete,
// idle desktops may start an operation, change session state, fail or
// recover, and a few desktops are created and deleted.
func (f *fleet) step(now time.Time) {
	rng := f.rng
	kept := f.recs[:0]
	for _, r := range f.recs {
		r.attachingEIP = false
		if r.attach == attachAttaching {
			r.attach = attachAttached
		}
		switch {
		case r.task != "" && r.task != taskDeleteFailed:
			if f.advance(r) {
				continue // deleted
			}
		default:
			f.event(r)
		}
		kept = append(kept, r)
	}
	clear(f.recs[len(kept):])
	f.recs = kept

	n := len(f.recs)
	for range churn(rng, n) {
		r := f.recs[rng.IntN(n)]
		if r.task == "" {
			f.start(r, taskDeleting, "")
		}
	}
	for range churn(rng, n) {
		r := &record{}
		f.generate(r, now.UnixMilli())
		r.status, r.login = statusShutoff, loginUnregister
		f.start(r, taskScheduling, statusActive)
		f.recs = append(f.recs, r)
	}
	f.logins.step(now)
}

// churn is how many desktops are created (or deleted) in one step.
func churn(rng *rand.Rand, n int) int {
	mean := pChurn * float64(n)
	k := int(mean)
	if rng.Float64() < mean-float64(k) {
		k++
	}
	return k
}

func (f *fleet) start(r *record, task, final string) {
	r.task, r.final = task, final
	r.steps = taskSteps(task)
	r.process = int32(f.rng.IntN(20))
}

// advance moves a running task on by one tick and reports whether the
// desktop is gone.
func (f *fleet) advance(r *record) bool {
	if r.steps > 1 {
		r.steps--
		r.process += (100 - r.process) / 2
		return false
	}
	def := taskDefs[r.task]
	if def.next != "" {
		r.task = def.next
		r.steps = taskSteps(def.next)
		r.process = min(r.process+10+int32(f.rng.IntN(20)), 95)
		return false
	}
	if r.task == taskDeleting {
		if f.rng.Float64() >= pDeleteFails {
			return true
		}
		r.task, r.process, r.final = taskDeleteFailed, nullProcess, ""
		r.status, r.login = statusError, loginUnregister
		return false
	}
	r.task, r.process = "", nullProcess
	changed := r.final != "" && r.final != r.status
	if r.final != "" {
		r.status, r.final = r.final, ""
	}
	if def.relogin || changed {
		r.login = loginUnregister
		if r.status == statusActive {
			r.login = loginRegistered
		}
	}
	return false
}

// event applies the random events of one tick to a desktop without a
// running task (deleteFailed counts as not running).
func (f *fleet) event(r *record) {
	rng := f.rng
	u := rng.Float64()
	switch {
	case r.task == taskDeleteFailed:
		if u < pRetryDelete {
			f.start(r, taskDeleting, "")
		}
	case r.status == statusActive:
		switch {
		case u < pPowerOff:
			f.start(r, taskPoweringOff, statusShutoff)
		case u < pPowerOff+pHibernate:
			f.start(r, taskPoweringOff, statusHibernated)
		case u < pPowerOff+pHibernate+pFail:
			r.status, r.login = statusError, loginUnregister
		case u < pPowerOff+pHibernate+pFail+pReboot:
			f.start(r, "reboot_pending", statusActive)
		case u < pPowerOff+pHibernate+pFail+pReboot+pMaintenance:
			ops := [...]string{"updating", "desktopNetworkChanging", "resize_prep", "resize_reverting", "migrating", "rebuilding"}
			f.start(r, ops[rng.IntN(len(ops))], "")
		default:
			f.session(r)
		}
	case r.status == statusShutoff && u < pPowerOn, r.status == statusHibernated && u < pWake:
		f.start(r, taskPoweringOn, statusActive)
	case r.status == statusError && u < pRecover:
		f.start(r, "reboot_pending_hard", statusActive)
	case r.status == statusError && u < pRecover+pDeleteError:
		f.start(r, taskDeleting, "")
	}
	if r.maintenance && rng.Float64() < pMaintOff || !r.maintenance && rng.Float64() < pMaintOn {
		r.maintenance = !r.maintenance
	}
	if r.internet != internetNone && rng.Float64() < pEIP {
		r.attachingEIP = true
	}
	if r.attach == attachFail && rng.Float64() < pAttachRetry {
		r.attach = attachAttaching
	}
}

// session moves the login state of a running desktop: users connect,
// disconnect and log off; an unregistered agent registers. The login
// store sees each change (and each registered desktop that did not
// connect, which may make a failed attempt).
func (f *fleet) session(r *record) {
	before := r.login
	v := f.rng.Float64()
	switch r.login {
	case loginUnregister:
		if v < 0.2 {
			r.login = loginRegistered
		}
	case loginRegistered:
		if r.user != "" && v < 0.015 {
			r.login = loginConnected
		}
	case loginConnected:
		if v < 0.02 {
			r.login = loginDisconnected
		} else if v < 0.025 {
			r.login = loginRegistered
		}
	case loginDisconnected:
		if v < 0.08 {
			r.login = loginConnected
		} else if v < 0.12 {
			r.login = loginRegistered
		}
	}
	f.logins.session(r, before) // login records (logins.go)
}

// recordFor turns a caller's Desktop into a record that keeps a private copy.
func recordFor(d Desktop) *record {
	c := d.clone()
	r := &record{
		status: c.Status, task: c.TaskStatus, login: c.LoginStatus, attach: c.AttachState,
		maintenance: c.InMaintenanceMode, attachingEIP: c.IsAttachingEIP,
		id: c.DesktopID, name: c.ComputerName, user: c.UserName, userGroup: c.UserGroup,
		process: nullProcess, steps: 1, custom: &c, final: taskOutcome(c.TaskStatus),
	}
	if c.Process != nil {
		r.process = int32(max(math.MinInt32+1, min(math.MaxInt32, *c.Process)))
	}
	if c.IsSupportInternet {
		r.internet = internetNAT
	}
	return r
}

// taskOutcome is the status that the operation a task belongs to leaves
// behind ("" keeps the status), for desktops installed with SetDesktops.
func taskOutcome(task string) string {
	switch task {
	case taskPoweringOff:
		return statusShutoff
	case taskPoweringOn, taskScheduling, "block_device_mapping", "networking", "spawning",
		"reboot_pending", "reboot_started", "rebooting", "reboot_pending_hard", "reboot_started_hard", "rebooting_hard",
		"rebuilding", "rebuild_block_device_mapping", "rebuild_spawning":
		return statusActive
	}
	return ""
}

func (r *record) poolID() string {
	switch {
	case r.custom != nil:
		return r.custom.PoolID
	case r.pool != nil:
		return r.pool.id
	}
	return ""
}

func (r *record) desktopType() string {
	switch {
	case r.custom != nil:
		return r.custom.DesktopType
	case r.pool != nil:
		return "POOLED"
	}
	return "DEDICATED"
}

func (r *record) availabilityZone() string {
	if r.custom != nil {
		return r.custom.AvailabilityZone
	}
	return r.zone.name
}

// mix derives the k-th 64-bit value from h (SplitMix64).
func mix(h uint64, k uint64) uint64 {
	z := h + k*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// uuidString formats 128 bits as a version 4 UUID.
func uuidString(hi, lo uint64) string {
	return string(appendUUID(make([]byte, 0, 36), hi, lo))
}

// hex32 formats 128 bits as 32 hex digits.
func hex32(hi, lo uint64) string {
	return string(appendHex32(make([]byte, 0, 32), hi, lo))
}

func ipString(ip uint32) string {
	return string(appendIP(make([]byte, 0, 15), ip))
}

func macString(v uint64) string {
	return string(appendMAC(make([]byte, 0, 17), v))
}

func formatMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(timeLayout)
}

func appendUUID(b []byte, hi, lo uint64) []byte {
	var u [16]byte
	for i := range 8 {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	b = hex.AppendEncode(b, u[0:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[4:6])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[6:8])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[8:10])
	b = append(b, '-')
	return hex.AppendEncode(b, u[10:])
}

func appendHex32(b []byte, hi, lo uint64) []byte {
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b = append(b, digits[hi>>(4*i)&0xf])
	}
	for i := 15; i >= 0; i-- {
		b = append(b, digits[lo>>(4*i)&0xf])
	}
	return b
}

func appendIP(b []byte, ip uint32) []byte {
	for i := 3; i >= 0; i-- {
		b = strconv.AppendUint(b, uint64(ip>>(8*i)&0xff), 10)
		if i > 0 {
			b = append(b, '.')
		}
	}
	return b
}

func appendMAC(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	b = append(b, "fa:16:3e"...)
	for i := range 3 {
		x := byte(v >> (8 * i))
		b = append(b, ':', digits[x>>4], digits[x&0xf])
	}
	return b
}

func appendMillis(b []byte, ms int64) []byte {
	return time.UnixMilli(ms).UTC().AppendFormat(b, timeLayout)
}
