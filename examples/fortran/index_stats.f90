! index_stats: index an archive into a tsindex catalogue with libsiqaco from Fortran, then
! query the catalogue without reading waveforms and print, one item per line:
!   extent NSLC EARLIEST LATEST                                    (siqaco_catalogue_extents)
!   gap NSLC START END DURATION_S MISSING LAST NEXT EDGE          (siqaco_catalogue_report)
!   day NSLC DATE NUM_GAPS SUM_GAPS MAX_GAP NUM_OVERLAPS SUM_OVERLAPS MAX_OVERLAP PERCENT
!                                                                  (siqaco_catalogue_day_stats)
! times as in examples/c/scan_gaps.c, seconds and percent with 6 decimals; scripts/test-c
! compares them with `siqaco stats --db DB --format json`.
!
! Usage: index_stats ROOT DB   (DB: a SQLite file, created when missing, or a PostgreSQL URL)
! Build: gfortran siqaco.f90 index_stats.f90 $(pkg-config --libs siqaco) -o index_stats_f
program index_stats
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use siqaco
  implicit none

  character(len=4096) :: root, db
  type(c_ptr) :: archive, catalogue, list, stats, report
  type(siqaco_index_report) :: ir
  type(siqaco_stream_extent) :: extent
  type(siqaco_stored_day) :: day
  type(siqaco_stream) :: stream
  type(siqaco_gap) :: gap
  integer(c_int32_t) :: st
  integer(c_size_t) :: n, i, j
  character(len=4) :: edge

  if (command_argument_count() /= 2) then
    write (error_unit, '(a)') "usage: index_stats ROOT DB"
    error stop 2
  end if
  call get_command_argument(1, root)
  call get_command_argument(2, db)
  archive = c_null_ptr
  catalogue = c_null_ptr
  list = c_null_ptr
  stats = c_null_ptr
  report = c_null_ptr

  st = siqaco_archive_open(trim(root)//c_null_char, "sds"//c_null_char, archive)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_open", st)
  st = siqaco_catalogue_open(trim(db)//c_null_char, catalogue)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_catalogue_open", st)
  st = siqaco_catalogue_index(catalogue, archive, ir)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_catalogue_index", st)
  write (error_unit, '(a,i0,a,i0,a,i0,a)') "index_stats (Fortran): ", ir%files_listed, &
    " file(s) listed, ", ir%files_indexed, " indexed, ", ir%rows_written, " row(s) written"

  st = siqaco_catalogue_extents(catalogue, c_null_char, list)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_catalogue_extents", st)
  n = 0
  st = siqaco_stream_list_count(list, n)
  do i = 0, n - 1
    st = siqaco_stream_list_get(list, i, extent)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_stream_list_get", st)
    write (*, '(a)') "extent "//siqaco_f_chars(extent%nslc)//" "//siqaco_f_time(extent%earliest_ns)// &
      " "//siqaco_f_time(extent%latest_ns)
  end do

  st = siqaco_catalogue_report(catalogue, c_null_ptr, report)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_catalogue_report", st)
  n = 0
  st = siqaco_report_stream_count(report, n)
  do i = 0, n - 1
    st = siqaco_report_stream(report, i, stream)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_report_stream", st)
    do j = 0, int(stream%gap_count, c_size_t) - 1
      st = siqaco_report_gap(report, i, j, gap)
      if (st /= SIQACO_STATUS_OK) call fail("siqaco_report_gap", st)
      select case (gap%edge)
      case (SIQACO_EDGE_HEAD)
        edge = "head"
      case (SIQACO_EDGE_TAIL)
        edge = "tail"
      case default
        edge = "-"
      end select
      write (*, '(a)') "gap "//siqaco_f_chars(stream%nslc)//" "//siqaco_f_time(gap%start_ns)//" "// &
        siqaco_f_time(gap%end_ns)//" "//fixed6(gap%duration_s)//" "//itoa(gap%missing_samples)//" "// &
        siqaco_f_time(gap%last_sample_ns)//" "//siqaco_f_time(gap%next_sample_ns)//" "//trim(edge)
    end do
  end do

  st = siqaco_catalogue_day_stats(catalogue, c_null_char, stats)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_catalogue_day_stats", st)
  n = 0
  st = siqaco_day_stats_count(stats, n)
  do i = 0, n - 1
    st = siqaco_day_stats_get(stats, i, day)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_day_stats_get", st)
    write (*, '(a)') "day "//siqaco_f_chars(day%nslc)//" "//siqaco_f_time(day%day_start_ns)//" "// &
      itoa(day%num_gaps)//" "//fixed6(day%sum_gaps)//" "//fixed6(day%max_gap)//" "// &
      itoa(day%num_overlaps)//" "//fixed6(day%sum_overlaps)//" "//fixed6(day%max_overlap)// &
      " "//fixed6(day%percent_availability)
  end do

  call release()

contains

  subroutine release()
    call siqaco_day_stats_free(stats)
    call siqaco_report_free(report)
    call siqaco_stream_list_free(list)
    call siqaco_catalogue_free(catalogue)
    call siqaco_archive_free(archive)
  end subroutine release

  subroutine fail(what, status)
    character(len=*), intent(in) :: what
    integer(c_int32_t), intent(in) :: status
    write (error_unit, '(a,i0,a)') "index_stats: "//what//": "// &
      siqaco_f_string(siqaco_status_str(status))//" (", status, "): "//siqaco_f_last_error()
    call release()
    error stop 1
  end subroutine fail

  ! A double with 6 decimals, as C's "%.6f".
  function fixed6(x) result(s)
    real(c_double), intent(in) :: x
    character(len=:), allocatable :: s
    character(len=40) :: buf
    write (buf, '(f40.6)') x
    s = trim(adjustl(buf))
  end function fixed6

  function itoa(n) result(s)
    integer(c_int64_t), intent(in) :: n
    character(len=:), allocatable :: s
    character(len=24) :: buf
    write (buf, '(i0)') n
    s = trim(buf)
  end function itoa
end program index_stats
