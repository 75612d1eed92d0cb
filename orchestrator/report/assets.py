"""The report's inline stylesheet and script: no framework, no font or image from anywhere but the file itself."""

CSS = """
:root{--fg:#1d2330;--muted:#5d6675;--bg:#fff;--panel:#f6f7f9;--line:#dde1e7;--accent:#2f6fde;--good:#1a8a4a;
--bad:#c23b3b;--warn:#b7791f;--sft:#2f6fde;--rft:#8a3ffc;--grpo:#d2691e;--dpo:#0f8b8d;--base:#6b7280}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:16px 20px 60px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);
padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:12px 0 4px;color:var(--muted)}
a{color:var(--accent)}code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:8px;overflow-x:auto;
white-space:pre-wrap;word-break:break-word;margin:4px 0}
nav.toc{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:13px;margin:6px 0 10px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:var(--panel);
border:1px solid var(--line)}.badge.finished,.badge.target_met,.badge.succeeded{color:var(--good)}
.badge.failed,.badge.blocked{color:var(--bad)}.badge.running,.badge.stopped{color:var(--warn)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:8px;margin:10px 0}
.kpi{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.kpi b{display:block;font-size:18px}.kpi span{color:var(--muted);font-size:12px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-word}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top;word-break:break-word}
th{background:var(--panel);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
tr.changed td{background:#fff7e0}.added{color:var(--good)}.removed{color:var(--bad);text-decoration:line-through}
.card{border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:4px;padding:6px 10px;
margin:6px 0;background:var(--bg);break-inside:avoid}
.card .who{font-weight:600}.decision{border-left-color:var(--good)}.dissent{border-left-color:var(--bad)}
.muted{color:var(--muted)}.good{color:var(--good)}.bad{color:var(--bad)}.warn{color:var(--warn)}
section.iteration{border-top:3px solid var(--line);margin-top:26px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}
svg.chart{width:100%;height:auto;display:block;font-size:10px;fill:var(--fg)}
svg.score-chart{max-width:760px}svg .grid{stroke:var(--line);stroke-width:1}svg .frame{stroke:var(--muted)}
svg .axis text{fill:var(--muted)}svg .chart-title{font-weight:600;font-size:11px}
svg .series-dot{fill:var(--accent)}svg .series{fill:none;stroke:var(--accent);stroke-width:1.6}
svg .score-line{fill:none;stroke:var(--muted);stroke-width:1.2;stroke-dasharray:3 3}
svg .ci{stroke:var(--fg);stroke-width:1.2}
svg .baseline-line line{stroke:var(--base);stroke-dasharray:6 4}svg .target-line line{stroke:var(--good);
stroke-dasharray:2 3;stroke-width:1.5}svg .baseline-line text{fill:var(--base)}svg .target-line text{fill:var(--good)}
svg .point circle{stroke:#fff;stroke-width:1.5}svg .m-sft circle{fill:var(--sft)}svg .m-rft circle{fill:var(--rft)}
svg .m-grpo circle{fill:var(--grpo)}svg .m-dpo circle{fill:var(--dpo)}
svg .m-base circle,svg .m-other circle{fill:var(--base)}
svg .point.best circle{stroke:var(--good);stroke-width:2.5}svg .method{font-weight:600;fill:var(--muted)}
svg .span rect{fill:var(--accent);opacity:.75}svg .span.tool rect{fill:var(--grpo)}svg .span text{fill:var(--fg)}
.legend span{margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;
margin-right:4px;vertical-align:-1px}
.explorer .filters{display:flex;flex-wrap:wrap;gap:6px;align-items:center;position:sticky;top:0;background:var(--bg);
padding:6px 0;z-index:1;border-bottom:1px solid var(--line)}
.explorer select,.explorer input{font:inherit;padding:2px 4px}.explorer input[type=search]{flex:1;min-width:140px}
.msg{border-bottom:1px solid var(--line);padding:5px 2px}.msg .meta{font-size:12px;color:var(--muted)}
.msg .who{font-weight:600;color:var(--fg)}.msg .body{white-space:pre-wrap;word-break:break-word}
.msg.tool .body{white-space:normal}.msg details{margin:2px 0}
.msg summary{cursor:pointer;font-family:ui-monospace,monospace;font-size:12px}
.msg.hidden{display:none}.err{color:var(--bad)}
@media (max-width:640px){main{padding:8px 10px 40px}h1{font-size:18px}dl.facts{grid-template-columns:1fr}
dl.facts dt{margin-top:4px}.grid{grid-template-columns:1fr}table{font-size:12px}th,td{padding:3px 4px}
th,td{word-break:normal;overflow-wrap:anywhere}.scroll table{min-width:460px}td.num,th.num{white-space:nowrap}
svg.chart{font-size:15px}svg .chart-title{font-size:15px}}
@media print{nav.toc,.explorer .filters,.no-print{display:none}main{max-width:none;padding:0}
section.iteration{break-before:page}h2,h3{break-after:avoid}.card,svg.chart,table{break-inside:avoid}
a{color:inherit;text-decoration:none}pre{white-space:pre-wrap}body{font-size:11px}}
"""

JS = """
(function(){
  var box=document.getElementById('explorer');if(!box)return;
  var msgs=box.querySelectorAll('.msg'),f={agent:'',iteration:'',phase:'',kind:''},q='';
  var count=document.getElementById('x-count');
  function apply(){var n=0;
    for(var i=0;i<msgs.length;i++){var m=msgs[i],d=m.dataset,ok=(!f.agent||d.agent===f.agent)&&
      (!f.iteration||d.iteration===f.iteration)&&(!f.phase||d.phase===f.phase)&&(!f.kind||d.kind===f.kind)&&
      (!q||m.textContent.toLowerCase().indexOf(q)>=0);
      m.classList.toggle('hidden',!ok);if(ok)n++;}
    count.textContent=n+' of '+msgs.length+' messages';}
  box.querySelectorAll('select[data-filter]').forEach(function(s){
    s.addEventListener('change',function(){f[s.dataset.filter]=s.value;apply();});});
  document.getElementById('x-search').addEventListener('input',function(e){q=e.target.value.toLowerCase();apply();});
  document.getElementById('x-expand').addEventListener('click',function(){
    var ds=box.querySelectorAll('details'),open=!(ds.length&&ds[0].open);
    ds.forEach(function(d){d.open=open;});});
  apply();
})();
"""
