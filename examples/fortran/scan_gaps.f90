! scan_gaps: scan a miniSEED archive with libsiqaco from Fortran and print its gaps in the
! line format of examples/c/scan_gaps.c:
!   NSLC START END DURATION_S MISSING_SAMPLES LAST_SAMPLE NEXT_SAMPLE EDGE
!
! Usage: scan_gaps [ROOT [LAYOUT [START_NS END_NS]]]   (as examples/c/scan_gaps.c)
! Build: gfortran siqaco.f90 scan_gaps.f90 $(pkg-config --libs siqaco) -o scan_gaps_f
program scan_gaps
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use siqaco
  implicit none

  character(len=4096) :: root, layout, arg
  integer(c_int64_t) :: start_ns, end_ns
  type(c_ptr) :: archive, report
  type(siqaco_stream) :: stream
  type(siqaco_gap) :: gap
  integer(c_int32_t) :: st
  integer(c_size_t) :: nstreams, i, j, ngaps
  character(len=16) :: duration
  character(len=4) :: edge

  root = "tests/data/sds-small"
  layout = "sds"
  if (command_argument_count() >= 1) call get_command_argument(1, root)
  if (command_argument_count() >= 2) call get_command_argument(2, layout)
  start_ns = SIQACO_TIME_UNSET
  end_ns = SIQACO_TIME_UNSET
  if (command_argument_count() >= 4) then
    call get_command_argument(3, arg)
    read (arg, *) start_ns
    call get_command_argument(4, arg)
    read (arg, *) end_ns
  end if

  archive = c_null_ptr
  report = c_null_ptr
  st = siqaco_archive_open(trim(root)//c_null_char, trim(layout)//c_null_char, archive)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_open", st)
  st = siqaco_archive_scan(archive, c_null_char, start_ns, end_ns, report)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_scan", st)

  nstreams = 0
  ngaps = 0
  st = siqaco_report_stream_count(report, nstreams)
  do i = 0, nstreams - 1
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
      write (duration, '(f16.6)') gap%duration_s
      write (*, '(a)') siqaco_f_chars(stream%nslc)//" "//siqaco_f_time(gap%start_ns)//" "// &
        siqaco_f_time(gap%end_ns)//" "//trim(adjustl(duration))//" "//itoa(gap%missing_samples)//" "// &
        siqaco_f_time(gap%last_sample_ns)//" "//siqaco_f_time(gap%next_sample_ns)//" "//trim(edge)
      ngaps = ngaps + 1
    end do
  end do
  write (error_unit, '(a,i0,a,i0,a)') "scan_gaps (Fortran): libsiqaco " // &
    siqaco_f_string(siqaco_version()) // ": ", ngaps, " gap(s) in ", nstreams, " stream(s)"

  call siqaco_report_free(report)
  call siqaco_archive_free(archive)

contains

  subroutine fail(what, status)
    character(len=*), intent(in) :: what
    integer(c_int32_t), intent(in) :: status
    write (error_unit, '(a,i0,a)') "scan_gaps: "//what//": "// &
      siqaco_f_string(siqaco_status_str(status))//" (", status, "): "//siqaco_f_last_error()
    call siqaco_report_free(report)
    call siqaco_archive_free(archive)
    error stop 1
  end subroutine fail

  function itoa(n) result(s)
    integer(c_int64_t), intent(in) :: n
    character(len=:), allocatable :: s
    character(len=24) :: buf
    write (buf, '(i0)') n
    s = trim(buf)
  end function itoa
end program scan_gaps
